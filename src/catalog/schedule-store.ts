// Schedule run state and verification results in the catalog (tables of migration 2).
import type { VerifyProblemView, VerifyResultView } from '../protocol/maintenance.js';
import type { Db } from './columns.js';

export interface ScheduleStateRow {
  name: string;
  since: string;
  lastFiredAt: string | null;
  lastDueAt: string | null;
  lastMissed: number;
}

/** A verify result as kept: the shape the operator API shows. */
export type VerifyProblem = VerifyProblemView;
export type VerifyResultRow = VerifyResultView;

type Raw = Record<string, unknown>;
const ns = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class ScheduleStore {
  constructor(private readonly db: Db) {}

  state(name: string): ScheduleStateRow | undefined {
    const r = this.db.prepare('SELECT * FROM schedule_state WHERE name = ?').get(name) as Raw | undefined;
    return r && { name: String(r.name), since: String(r.since), lastFiredAt: ns(r.last_fired_at), lastDueAt: ns(r.last_due_at), lastMissed: Number(r.last_missed) };
  }

  /** Remember when the hub first saw a schedule (runs before that are not owed). */
  ensure(name: string, since: string): void {
    this.db.prepare('INSERT OR IGNORE INTO schedule_state (name, since) VALUES (?, ?)').run(name, since);
  }

  fired(name: string, firedAt: string, dueAt: string, missed: number): void {
    this.db.prepare('UPDATE schedule_state SET last_fired_at = ?, last_due_at = ?, last_missed = ? WHERE name = ?').run(firedAt, dueAt, missed, name);
  }

  /** The newest jobs a schedule started, newest first. */
  jobsOf(origin: string, limit: number): { id: number; state: string; host: string; createdAt: string; error: string | null }[] {
    return (
      this.db
        .prepare('SELECT j.id, j.state, h.name AS host, j.created_at, j.error FROM jobs j JOIN hosts h ON h.id = j.host_id WHERE j.origin = ? ORDER BY j.id DESC LIMIT ?')
        .all(origin, limit) as Raw[]
    ).map((r) => ({ id: Number(r.id), state: String(r.state), host: String(r.host), createdAt: String(r.created_at), error: ns(r.error) }));
  }

  addVerifyResult(v: VerifyResultRow): void {
    this.db
      .prepare('INSERT INTO verify_results (job_id, point_id, host, volume, time, sample_pct, chunks_checked, ok, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(v.jobId, v.pointId, v.host, v.volume, v.time, v.samplePct, v.chunksChecked, v.ok ? 1 : 0, JSON.stringify(v.problems));
  }

  verifyResults(jobId: number): VerifyResultRow[] {
    return (this.db.prepare('SELECT * FROM verify_results WHERE job_id = ? ORDER BY point_id').all(jobId) as Raw[]).map((r) => ({
      jobId: r.job_id === null ? null : Number(r.job_id),
      pointId: Number(r.point_id),
      host: String(r.host),
      volume: String(r.volume),
      time: String(r.time),
      samplePct: Number(r.sample_pct),
      chunksChecked: Number(r.chunks_checked),
      ok: r.ok === 1,
      problems: JSON.parse(String(r.problems)) as VerifyProblem[],
    }));
  }
}
