import { describe, expect, it } from 'vitest';
import type { AuditEntryView } from '../../src/protocol/operator.js';
import { FakeClient } from './fake-client.js';
import { renderApp, waitFor } from './helpers.js';

const entry = (id: number, over: Partial<AuditEntryView>): AuditEntryView => ({
  id,
  time: `2025-03-14T12:0${id}:00.000Z`,
  actor: 'uid:1000',
  action: 'backup.start',
  target: 'web-01',
  outcome: 'ok',
  address: 'unix',
  ssh: null,
  details: {},
  ...over,
});

describe('Audit', () => {
  it('opens with :audit and lists who did what from where, newest first, refusals counted', async () => {
    const c = new FakeClient();
    c.audit = [
      entry(1, { actor: 'operator:alice', address: '10.0.0.7:51522', ssh: '10.1.1.1 4242 22' }),
      entry(2, { actor: 'operator:watcher', action: 'failover.start', outcome: 'forbidden', address: '10.0.0.8:40000' }),
    ];
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 20 });
    await press(':audit\r');
    await waitFor(() => frame().includes('operator:watcher'));
    const f = frame();
    expect(c.callsOf('audit.list')[0]!.params).toEqual({ limit: 500 });
    expect(f).toContain('Audit (2) · 1 refused');
    expect(f.indexOf('operator:watcher')).toBeLessThan(f.indexOf('operator:alice'));
    expect(f).toMatch(/operator:watcher\s+10\.0\.0\.8:40000\s+failover\.start\s+web-01\s+forbidden/);
    expect(f).toMatch(/operator:alice\s+10\.0\.0\.7:51522 ssh 10\.1\.1\.1\s+backup\.start\s+web-01\s+ok/);
    unmount();
  });

  it('shows the hub\'s refusal when the cockpit may not read the audit log', async () => {
    const c = new FakeClient();
    c.failures.set('audit.list', 'forbidden: audit.list needs role operator, you are viewer');
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 20 });
    await press(':audit\r');
    await waitFor(() => frame().includes('forbidden: audit.list needs role operator, you are viewer'));
    unmount();
  });
});
