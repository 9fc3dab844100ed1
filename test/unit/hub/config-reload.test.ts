// ConfigReload over recording fakes: each changed live section reaches its service once,
// unchanged ones are left alone, restart-only changes are named until the hub restarts,
// and a file that does not load changes nothing.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/index.js';
import type { ScheduleConfig } from '../../../src/config/types.js';
import { ApiError } from '../../../src/hub/api.js';
import { ConfigReload, type ConfigReloadPorts, type ReloadableOptions } from '../../../src/hub/config-reload.js';

const nightly: ScheduleConfig = { name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', targets: ['*'], type: 'incremental', priority: 5, window: null, stopAtWindowEnd: false, retention: null };

function options(over: Partial<ReloadableOptions> = {}): ReloadableOptions {
  return {
    name: 'hub-1',
    dataDir: '/var/lib/drc',
    agents: { host: '127.0.0.1', port: 7701 },
    http: { host: '127.0.0.1', port: 7703 },
    apiTcp: { host: '127.0.0.1', port: 7702, token: 'tok-0123456789abcdef' },
    tiers: [{ name: 'gold', rpoSeconds: 3600, rtoSeconds: 3600 }],
    hosts: [{ name: 'web-01', tags: [], tier: 'gold' }],
    schedules: [nightly],
    retention: null,
    alarms: [],
    channels: [],
    copies: [],
    inspection: null,
    ...over,
  };
}

function harness(start: ReloadableOptions) {
  const calls: string[] = [];
  const events: string[] = [];
  const audit: string[] = [];
  let next: ReloadableOptions | Error = start;
  const tiers = [...start.tiers];
  const ports: ConfigReloadPorts = {
    clock: { now: () => 0, iso: () => '2026-01-01T00:00:00.000Z', elapsed: () => 0 },
    journal: {
      event: (level, kind, _h, message) => (events.push(`${level} ${kind}: ${message}`), { id: 1, time: '', level, kind, host: null, message }),
      audit: (actor, action, _t, outcome) => void audit.push(`${actor} ${action} ${outcome}`),
    },
    scheduler: { reconfigure: (s) => void calls.push(`scheduler ${s.map((x) => x.cron).join(',')}`) },
    maintenance: { reconfigure: () => void calls.push('maintenance') },
    alarms: { reconfigure: (_r, ch) => void calls.push(`alarms ${ch.map((c) => c.name).join(',')}`) },
    copies: { reconfigure: () => void calls.push('copies') },
    access: { reconfigure: (o) => void calls.push(`access ${o.apiToken ?? 'none'} ${o.socketRole}`) },
    recovery: { reconfigure: () => void calls.push('recovery') },
    inspection: { reconfigure: () => void calls.push('inspection') },
    tiers,
    upsertHost: (h) => void calls.push(`host ${h.name}`),
    dropLapsed: () => void calls.push('dropLapsed'),
  };
  const reload = new ConfigReload(ports, start, () => {
    if (next instanceof Error) throw next;
    return { file: '/etc/drc/drc.yaml', options: next };
  });
  return { reload, calls, events, audit, tiers, set: (o: ReloadableOptions | Error) => (next = o) };
}

describe('config reload', () => {
  it('hands a changed schedule to the scheduler and to retention, and nothing else', () => {
    const h = harness(options());
    const r = h.reload.reload('uid:1000');
    expect(r).toMatchObject({ applied: [], restartNeeded: [] });
    h.set(options({ schedules: [{ ...nightly, cron: '* * * * *' }] }));
    expect(h.reload.reload('uid:1000')).toMatchObject({ applied: ['schedules'], restartNeeded: [] });
    expect(h.calls).toEqual(['scheduler * * * * *', 'maintenance']);
    expect(h.audit).toEqual(['uid:1000 config.reload ok', 'uid:1000 config.reload ok']);
  });

  it('changes the tiers every service reads in place', () => {
    const h = harness(options());
    h.set(options({ tiers: [{ name: 'gold', rpoSeconds: 60, rtoSeconds: 600 }] }));
    h.reload.reload('uid:1000');
    expect(h.tiers).toEqual([{ name: 'gold', rpoSeconds: 60, rtoSeconds: 600 }]);
  });

  it('takes hub.api_token away at once and closes the connections that used it', () => {
    const h = harness(options());
    h.set(options({ apiTcp: { host: '127.0.0.1', port: 7702 } }));
    expect(h.reload.reload('uid:1000').applied).toEqual(['hub.api_token']);
    expect(h.calls).toEqual(['access none admin', 'dropLapsed']);
  });

  it('names listen and store changes as needing a restart, again at the next reload', () => {
    const h = harness(options());
    h.set(options({ agents: { host: '0.0.0.0', port: 7701 }, store: { type: 'local', path: '/srv/packs', encryption: null, cacheBytes: 1 } }));
    expect(h.reload.reload('uid:1000').restartNeeded).toEqual(['hub.listen.agents', 'store']);
    expect(h.reload.reload('uid:1000').restartNeeded).toEqual(['hub.listen.agents', 'store']);
    expect(h.calls).toEqual([]);
    expect(h.events.at(-1)).toMatch(/^warning config.reloaded: .*restart the hub for hub\.listen\.agents, store$/);
  });

  it('refuses a file that does not load with its one line, and changes nothing', () => {
    const h = harness(options());
    h.set(new ConfigError('/etc/drc/drc.yaml', 7, 11, 'schedules[0].cron "61 * * * *" is out of range'));
    const e = (() => {
      try {
        h.reload.reload('operator:alice');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('bad-config');
    expect((e as ApiError).message).toBe('/etc/drc/drc.yaml:7:11: schedules[0].cron "61 * * * *" is out of range; the running config stays');
    expect(h.calls).toEqual([]);
    expect(h.audit).toEqual(['operator:alice config.reload refused: /etc/drc/drc.yaml:7:11: schedules[0].cron "61 * * * *" is out of range']);
  });
});
