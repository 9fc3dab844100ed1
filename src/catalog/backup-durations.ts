// How long hosts' recent successful backups took (jobs table), for the RPO forecast's
// estimate of when the next backup commits.
import type { Db } from './catalog.js';

/** host id → median seconds of its last `n` successful backups finished since `sinceIso` */
export function recentBackupSeconds(db: Db, sinceIso: string, n = 5): Map<number, number> {
  const rows = db
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
