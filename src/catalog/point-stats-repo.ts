// Counts over the recovery points for the alarm facts, /metrics and the log bundle's
// catalog summary. Read-only; the point rows themselves are in catalog.ts.
import type { Db } from './catalog.js';

export class PointStatsRepo {
  constructor(private readonly db: Db) {}

  /** The newest point's time per host id (ms). */
  newestPerHost(): Map<number, number> {
    const rows = this.db.prepare('SELECT v.host_id AS host_id, MAX(p.time) AS t FROM points p JOIN volumes v ON v.id = p.volume_id GROUP BY v.host_id').all() as { host_id: number; t: string }[];
    return new Map(rows.map((r) => [r.host_id, Date.parse(r.t)]));
  }

  summary(): { n: number; oldest: string | null; newest: string | null } {
    return this.db.prepare('SELECT COUNT(*) AS n, MIN(time) AS oldest, MAX(time) AS newest FROM points').get() as { n: number; oldest: string | null; newest: string | null };
  }
}
