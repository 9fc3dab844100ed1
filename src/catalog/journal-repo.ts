// Reads over the event and audit journal for the daily inspection and the log bundle.
// Appending events and audit entries stays in catalog.ts.
import type { Level } from '../protocol/operator.js';
import type { Db } from './catalog.js';

export interface AuditEntry {
  time: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  details: string;
}

export class JournalRepo {
  constructor(private readonly db: Db) {}

  /** Events per UTC day (YYYY-MM-DD) and level since a time. */
  eventCountsByDay(sinceIso: string): { day: string; level: Level; n: number }[] {
    return this.db.prepare('SELECT substr(time, 1, 10) AS day, level, COUNT(*) AS n FROM events WHERE time >= ? GROUP BY day, level').all(sinceIso) as { day: string; level: Level; n: number }[];
  }

  /** The newest audit entries, oldest first. */
  recentAudit(limit: number): AuditEntry[] {
    return (this.db.prepare('SELECT time, actor, action, target, outcome, details FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[]).reverse();
  }
}
