// The `maintenance` section: daily in a quiet hour by default, `off` turns the automatic run
// off, and a wrong value is refused with its file, line and column.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'drc.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('the config was accepted');
}

describe('the maintenance section', () => {
  it('runs daily at 03:30 UTC inside 01:00-06:00, verifies every 30 days and keeps audit longer than events when absent', () => {
    const m = parseConfig('hub:\n  name: x\n', 'drc.yaml').maintenance;
    expect(m).toMatchObject({ cron: '30 3 * * *', timezone: 'UTC', window: { text: '01:00-06:00' }, gcLimit: null, verifyEvery: 30 * 86400, stallTimeout: 600 });
    expect(m.auditKeep).toBeGreaterThan(m.eventsKeep);
  });

  it('reads every key in seconds and bytes, and `off` for no automatic run and no window', () => {
    const m = parseConfig(
      'maintenance:\n  cron: "off"\n  timezone: Europe/Berlin\n  window: "off"\n  gc_limit: 50MiB\n  verify_every: 7d\n  verify_per_run: 3\n  events_keep: 30d\n  audit_keep: 400d\n  stall_timeout: 2m\n',
      'drc.yaml',
    ).maintenance;
    expect(m).toEqual({ cron: null, timezone: 'Europe/Berlin', window: null, gcLimit: 50 * 1024 * 1024, verifyEvery: 7 * 86400, verifyPerRun: 3, eventsKeep: 30 * 86400, auditKeep: 400 * 86400, stallTimeout: 120 });
  });

  it('refuses a bad cron with its line and column', () => {
    expect(errorOf('hub:\n  name: x\nmaintenance:\n  cron: "61 3 * * *"\n')).toMatch(/^drc\.yaml:4:9: maintenance\.cron "61 3 \* \* \*" is out of range/);
  });

  it('refuses an audit log kept shorter than the events, at audit_keep', () => {
    expect(errorOf('maintenance:\n  events_keep: 90d\n  audit_keep: 30d\n')).toMatch(/^drc\.yaml:3:15: maintenance\.audit_keep is shorter than events_keep/);
  });

  it('refuses an unknown key and a zero stall timeout', () => {
    expect(errorOf('maintenance:\n  crn: "0 3 * * *"\n')).toMatch(/^drc\.yaml:2:3: unknown key "crn" in maintenance/);
    expect(errorOf('maintenance:\n  stall_timeout: 0\n')).toMatch(/^drc\.yaml:2:18: maintenance\.stall_timeout is zero/);
  });
});
