// The journal as `drc audit` and the cockpit's event list read it: audit entries in the order
// they were written, filtered by action, kept across a reopen; the latest events oldest first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TempCatalog } from './temp-catalog.js';

let t: TempCatalog;
const at = (m: number): string => new Date(Date.UTC(2025, 2, 1, 0, m)).toISOString();
beforeEach(() => (t = new TempCatalog()));
afterEach(() => t.dispose());

describe('journal repository', () => {
  it('reads audit entries back in the order they were written, of one action or all, after a reopen', () => {
    const j = t.catalog.repos.journal;
    j.audit(at(1), 'alice', 'backup.start', 'web-1', 'ok', { job: 1 });
    j.audit(at(2), 'bob', 'failover.start', 'db-1', 'refused');
    j.audit(at(3), 'alice', 'backup.start', 'web-2', 'ok');
    const back = t.reopen().repos.journal;
    expect(back.auditEntries().map((e) => [e.actor, e.action, e.target, e.outcome])).toEqual([
      ['alice', 'backup.start', 'web-1', 'ok'], ['bob', 'failover.start', 'db-1', 'refused'], ['alice', 'backup.start', 'web-2', 'ok'],
    ]);
    expect(back.auditEntries('backup.start').map((e) => e.target)).toEqual(['web-1', 'web-2']);
    expect(JSON.parse(back.auditEntries()[0]!.details)).toEqual({ job: 1 });
  });

  it('returns the latest events oldest first, and the events of one kind', () => {
    const j = t.catalog.repos.journal;
    for (let i = 0; i < 5; i++) j.addEvent(at(i), 'info', i % 2 ? 'backup.done' : 'host.connected', 'web-1', `event ${i}`);
    expect(j.recentEvents(3).map((e) => e.message)).toEqual(['event 2', 'event 3', 'event 4']);
    expect(j.eventsOfKind('backup.done').map((e) => e.message)).toEqual(['event 1', 'event 3']);
  });
});
