// Counts and sums over the jobs table for the alarm facts, the daily inspection, /metrics and
// the log bundle's catalog summary. Read-only; the job rows themselves are in catalog.ts.
import type { Db } from './catalog.js';

export interface BackupOutcome {
  hostId: number;
  ok: boolean;
  finishedAt: number;
}

export interface JobCount {
  kind: string;
  state: string;
  n: number;
}

export interface JobDurations extends JobCount {
  /** summed run time in seconds */
  seconds: number;
}

export class JobStatsRepo {
  constructor(private readonly db: Db) {}

  /** Finished backups (succeeded or failed) since a time, oldest first. */
  backupOutcomes(sinceIso: string): BackupOutcome[] {
    const rows = this.db
      .prepare(`SELECT host_id, state, finished_at FROM jobs WHERE kind = 'backup' AND state IN ('succeeded', 'failed') AND finished_at >= ? ORDER BY finished_at`)
      .all(sinceIso) as { host_id: number; state: string; finished_at: string }[];
    return rows.map((r) => ({ hostId: r.host_id, ok: r.state === 'succeeded', finishedAt: Date.parse(r.finished_at) }));
  }

  /** The last successful backup per host id (ms). */
  lastBackupSuccess(): Map<number, number> {
    const rows = this.db.prepare(`SELECT host_id, MAX(finished_at) AS t FROM jobs WHERE kind = 'backup' AND state = 'succeeded' GROUP BY host_id`).all() as { host_id: number; t: string }[];
    return new Map(rows.map((r) => [r.host_id, Date.parse(r.t)]));
  }

  /** host id → median seconds of its last `n` successful backups finished since a time (the RPO forecast's expected run) */
  recentBackupSeconds(sinceIso: string, n = 5): Map<number, number> {
    const rows = this.db
      .prepare(
        `SELECT host_id, started_at, finished_at FROM jobs
         WHERE kind = 'backup' AND state = 'succeeded' AND started_at IS NOT NULL AND finished_at >= ?
         ORDER BY finished_at DESC`,
      )
      .all(sinceIso) as { host_id: number; started_at: string; finished_at: string }[];
    const byHost = new Map<number, number[]>();
    for (const r of rows) {
      const list = byHost.get(r.host_id) ?? [];
      if (list.length < n) list.push(Math.max(0, (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000));
      byHost.set(r.host_id, list);
    }
    const out = new Map<number, number>();
    for (const [id, list] of byHost) out.set(id, [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!);
    return out;
  }

  /** Ids of jobs that failed since a time, newest first. */
  failedSince(sinceIso: string, limit: number): number[] {
    const rows = this.db.prepare("SELECT id FROM jobs WHERE state = 'failed' AND finished_at >= ? ORDER BY id DESC LIMIT ?").all(sinceIso, limit) as { id: number }[];
    return rows.map((r) => r.id);
  }

  /** New bytes written to the store by jobs that succeeded since a time. */
  newBytesSince(sinceIso: string): number {
    return (this.db.prepare("SELECT COALESCE(SUM(bytes_new), 0) AS b FROM jobs WHERE state = 'succeeded' AND finished_at >= ?").get(sinceIso) as { b: number }).b;
  }

  countsByKindAndState(): JobCount[] {
    return this.db.prepare('SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state').all() as JobCount[];
  }

  durations(): JobDurations[] {
    const rows = this.db
      .prepare(
        `SELECT kind, state, COUNT(*) AS n, SUM((julianday(finished_at) - julianday(started_at)) * 86400.0) AS s
         FROM jobs WHERE started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY kind, state`,
      )
      .all() as { kind: string; state: string; n: number; s: number | null }[];
    return rows.map((r) => ({ kind: r.kind, state: r.state, n: r.n, seconds: r.s ?? 0 }));
  }

  /** All-time block bytes received (wire) and new bytes stored. */
  byteTotals(): { wire: number; fresh: number } {
    return this.db.prepare('SELECT COALESCE(SUM(bytes_wire), 0) AS wire, COALESCE(SUM(bytes_new), 0) AS fresh FROM jobs').get() as { wire: number; fresh: number };
  }
}
