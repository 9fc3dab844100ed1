// Jobs in the catalog (backup, restore, verify): queued, started, finished, with their byte counts.
import { n, ns, s, type Raw, type Statements } from './columns.js';

export interface JobRow {
  id: number;
  kind: 'backup' | 'restore' | 'verify';
  hostId: number;
  volumes: string[];
  type: 'full' | 'incremental' | null;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  priority: number;
  origin: string;
  params: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  bytesWire: number;
  bytesNew: number;
  bytesTotal: number;
}
export type NewJob = Pick<JobRow, 'kind' | 'hostId' | 'volumes' | 'type' | 'priority' | 'origin' | 'params' | 'createdAt'>;
export type JobProgress = Partial<Pick<JobRow, 'state' | 'startedAt' | 'finishedAt' | 'error' | 'bytesWire' | 'bytesNew' | 'bytesTotal'>>;

function jobOf(r: Raw): JobRow {
  return {
    id: n(r.id),
    kind: s(r.kind) as JobRow['kind'],
    hostId: n(r.host_id),
    volumes: JSON.parse(s(r.volumes)) as string[],
    type: ns(r.type) as JobRow['type'],
    state: s(r.state) as JobRow['state'],
    priority: n(r.priority),
    origin: s(r.origin),
    params: JSON.parse(s(r.params)) as Record<string, unknown>,
    createdAt: s(r.created_at),
    startedAt: ns(r.started_at),
    finishedAt: ns(r.finished_at),
    error: ns(r.error),
    bytesWire: n(r.bytes_wire),
    bytesNew: n(r.bytes_new),
    bytesTotal: n(r.bytes_total),
  };
}

const COLUMNS: Record<keyof JobProgress, string> = {
  state: 'state', startedAt: 'started_at', finishedAt: 'finished_at', error: 'error',
  bytesWire: 'bytes_wire', bytesNew: 'bytes_new', bytesTotal: 'bytes_total',
};

export class JobsRepo {
  constructor(private readonly st: Statements) {}

  /** A new job, queued. */
  insert(j: NewJob): JobRow {
    const info = this.st
      .get('INSERT INTO jobs (kind, host_id, volumes, type, state, priority, origin, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(j.kind, j.hostId, JSON.stringify(j.volumes), j.type, 'queued', j.priority, j.origin, JSON.stringify(j.params), j.createdAt);
    return this.get(Number(info.lastInsertRowid))!;
  }
  get(id: number): JobRow | undefined {
    const r = this.st.get('SELECT * FROM jobs WHERE id = ?').get(id) as Raw | undefined;
    return r && jobOf(r);
  }
  /** The last `limit` jobs, oldest first. */
  recent(limit: number): JobRow[] {
    return (this.st.get('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as Raw[]).map(jobOf).reverse();
  }
  inState(state: JobRow['state']): JobRow[] {
    return (this.st.get('SELECT * FROM jobs WHERE state = ? ORDER BY id').all(state) as Raw[]).map(jobOf);
  }
  update(id: number, fields: JobProgress): void {
    const keys = Object.keys(fields) as (keyof JobProgress)[];
    if (keys.length === 0) return;
    const sql = `UPDATE jobs SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE id = ?`;
    this.st.get(sql).run(...keys.map((k) => fields[k] ?? null), id);
  }
  /** Backups finished since `sinceIso`, by outcome. */
  backupCounts(sinceIso: string): { succeeded: number; failed: number } {
    const r = this.st
      .get(`SELECT SUM(state = 'succeeded') AS s, SUM(state = 'failed') AS f FROM jobs WHERE kind = 'backup' AND finished_at >= ?`)
      .get(sinceIso) as { s: number | null; f: number | null };
    return { succeeded: r.s ?? 0, failed: r.f ?? 0 };
  }
}
