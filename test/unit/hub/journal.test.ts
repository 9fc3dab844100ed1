// The hub's journal over a real catalog and recording ports: every event is stored, logged,
// sent to operators and heard by listeners; audit entries carry the hub's clock.
import { afterEach, describe, expect, it } from 'vitest';
import { HubJournal } from '../../../src/hub/journal.js';
import type { Update } from '../../../src/protocol/operator.js';
import { ManualClock, tempCatalog } from './fake-ports.js';

const T0 = '2026-01-05T10:00:00.000Z';
let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('hub journal', () => {
  it('stores, logs and broadcasts an event and hands it to listeners until they stop listening', () => {
    const db = tempCatalog([], T0);
    cleanup = db.close;
    const logged: string[] = [];
    const sent: Update[] = [];
    const heard: string[] = [];
    const j = new HubJournal(db.catalog, new ManualClock(Date.parse(T0)), (level, message) => logged.push(`${level} ${message}`), (u) => sent.push(u));
    const stop = j.listen((e, data) => heard.push(`${e.kind} ${JSON.stringify(data)}`));
    const e = j.event('critical', 'backup.failed', null, 'backup job 1 failed', { job: 1 });
    stop();
    j.event('info', 'hub.started', null, 'hub started');
    expect(db.catalog.recentEvents(10).map((x) => [x.time, x.level, x.kind])).toEqual([
      [T0, 'critical', 'backup.failed'],
      [T0, 'info', 'hub.started'],
    ]);
    expect(logged).toEqual(['warning backup job 1 failed', 'info hub started']);
    expect(sent[0]).toEqual({ type: 'event', event: e });
    expect(heard).toEqual(['backup.failed {"job":1}']);
  });

  it('records audit entries at the time of the injected clock', () => {
    const db = tempCatalog([], T0);
    cleanup = db.close;
    const clock = new ManualClock(Date.parse(T0));
    const j = new HubJournal(db.catalog, clock, () => undefined, () => undefined);
    clock.set('2026-02-01T00:00:00.000Z');
    j.audit('operator:ann', 'hosts.add', 'web-1', 'ok', { tier: 'gold' });
    expect(db.catalog.auditEntries('hosts.add')).toMatchObject([{ time: '2026-02-01T00:00:00.000Z', actor: 'operator:ann', target: 'web-1', outcome: 'ok', details: '{"tier":"gold"}' }]);
  });
});
