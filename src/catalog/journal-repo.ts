// The hub's journal in the catalog: events (what happened) and the append-only audit log
// (who did what, from where, with what outcome), and the reads over it for the daily
// inspection and the log bundle.
import type { Level } from '../protocol/operator.js';
import type { Statements } from './columns.js';

export interface EventRow {
  id: number;
  time: string;
  level: 'info' | 'warning' | 'critical' | 'urgent';
  kind: string;
  host: string | null;
  message: string;
}
export interface AuditRow {
  time: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  /** JSON text */
  details: string;
}
export type AuditEntry = AuditRow;

export class JournalRepo {
  constructor(private readonly st: Statements) {}

  addEvent(time: string, level: EventRow['level'], kind: string, host: string | null, message: string, data: object = {}): EventRow {
    const info = this.st
      .get('INSERT INTO events (time, level, kind, host, message, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(time, level, kind, host, message, JSON.stringify(data));
    return { id: Number(info.lastInsertRowid), time, level, kind, host, message };
  }
  /** The last `limit` events, oldest first. */
  recentEvents(limit: number): EventRow[] {
    return (this.st.get('SELECT id, time, level, kind, host, message FROM events ORDER BY id DESC LIMIT ?').all(limit) as EventRow[]).reverse();
  }
  eventsOfKind(kind: string): EventRow[] {
    return this.st.get('SELECT id, time, level, kind, host, message FROM events WHERE kind = ? ORDER BY id').all(kind) as EventRow[];
  }
  /** Events per UTC day (YYYY-MM-DD) and level since a time. */
  eventCountsByDay(sinceIso: string): { day: string; level: Level; n: number }[] {
    return this.st.get('SELECT substr(time, 1, 10) AS day, level, COUNT(*) AS n FROM events WHERE time >= ? GROUP BY day, level').all(sinceIso) as { day: string; level: Level; n: number }[];
  }

  audit(time: string, actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    this.st
      .get('INSERT INTO audit (time, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(time, actor, action, target, outcome, JSON.stringify(details));
  }
  /** Audit entries in the order they were written, of one action or all. */
  auditEntries(action?: string): AuditRow[] {
    const rows = action
      ? this.st.get('SELECT * FROM audit WHERE action = ? ORDER BY id').all(action)
      : this.st.get('SELECT * FROM audit ORDER BY id').all();
    return rows as AuditRow[];
  }
  /** The newest audit entries, oldest first. */
  recentAudit(limit: number): AuditEntry[] {
    return (this.st.get('SELECT time, actor, action, target, outcome, details FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[]).reverse();
  }
}
