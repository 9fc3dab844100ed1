// The record of each maintenance run (what it deleted, freed and queued), and the journal's
// retention: old events go with a plain delete; old audit entries only through the gate of
// migration 10 (the cutoff is written, the rows before it deleted, the cutoff removed, all in
// one transaction), and the deletion is itself written to the audit log.
import type { Db } from './columns.js';

export interface MaintenanceRunRow {
  id: number;
  origin: string;
  startedAt: string;
  finishedAt: string | null;
  state: 'running' | 'succeeded' | 'failed';
  /** JSON text */
  summary: string;
  error: string | null;
}

type Raw = Record<string, unknown>;

function rowOf(r: Raw): MaintenanceRunRow {
  return {
    id: Number(r.id),
    origin: String(r.origin),
    startedAt: String(r.started_at),
    finishedAt: r.finished_at === null ? null : String(r.finished_at),
    state: String(r.state) as MaintenanceRunRow['state'],
    summary: String(r.summary),
    error: r.error === null ? null : String(r.error),
  };
}

export class MaintenanceRunsRepo {
  constructor(private readonly db: Db) {}

  begin(origin: string, startedAt: string): number {
    return Number(this.db.prepare("INSERT INTO maintenance_runs (origin, started_at, state) VALUES (?, ?, 'running')").run(origin, startedAt).lastInsertRowid);
  }

  finish(id: number, finishedAt: string, state: 'succeeded' | 'failed', summary: object, error: string | null): void {
    this.db.prepare('UPDATE maintenance_runs SET finished_at = ?, state = ?, summary = ?, error = ? WHERE id = ?').run(finishedAt, state, JSON.stringify(summary), error, id);
  }

  /** Runs a hub stop or crash left running are over. */
  endInterrupted(at: string): number {
    return this.db.prepare("UPDATE maintenance_runs SET finished_at = ?, state = 'failed', error = 'the hub stopped during the run' WHERE state = 'running'").run(at).changes;
  }

  /** Newest first. */
  recent(limit: number): MaintenanceRunRow[] {
    return (this.db.prepare('SELECT * FROM maintenance_runs ORDER BY id DESC LIMIT ?').all(limit) as Raw[]).map(rowOf);
  }

  /** Events older than the cutoff (ISO) are deleted; returns how many. */
  pruneEvents(cutoff: string): number {
    return this.db.prepare('DELETE FROM events WHERE time < ?').run(cutoff).changes;
  }

  /** Audit entries older than the cutoff (ISO) are deleted, and an entry says how many. */
  pruneAudit(cutoff: string, entry: { time: string; actor: string }): number {
    return this.db.transaction(() => {
      this.db.prepare('INSERT INTO audit_retention (cutoff) VALUES (?)').run(cutoff);
      const n = this.db.prepare('DELETE FROM audit WHERE time < ?').run(cutoff).changes;
      this.db.prepare('DELETE FROM audit_retention').run();
      if (n > 0) {
        this.db
          .prepare("INSERT INTO audit (time, actor, action, target, outcome, details) VALUES (?, ?, 'audit.retention', NULL, 'ok', ?)")
          .run(entry.time, entry.actor, JSON.stringify({ removed: n, olderThan: cutoff }));
      }
      return n;
    })();
  }
}
