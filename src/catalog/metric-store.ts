// Metric history in the catalog, downsampled as it is written: every sample is folded
// into a 1 s, a 1 min and a 1 h bucket (sum, count, max), in batches; old buckets are
// pruned per resolution (1 s kept 1 h, 1 min kept 7 d, 1 h kept 90 d).
import type { Db } from './catalog.js';

export const RESOLUTIONS = [
  { seconds: 1, keepSeconds: 3600 },
  { seconds: 60, keepSeconds: 7 * 86_400 },
  { seconds: 3600, keepSeconds: 90 * 86_400 },
] as const;

export interface MetricPoint {
  bucket: number;
  avg: number;
  max: number;
}

/** The finest resolution that still covers `rangeSeconds` back from now. */
export function resolutionFor(rangeSeconds: number): number {
  return (RESOLUTIONS.find((r) => rangeSeconds <= r.keepSeconds) ?? RESOLUTIONS[RESOLUTIONS.length - 1]!).seconds;
}

export class MetricStore {
  /** samples not yet written: one transaction (one WAL fsync) for many hosts */
  private pending: { host: string; t: number; metric: string; v: number }[] = [];

  constructor(private readonly db: Db) {}

  /** Fold samples taken at `timeMs` into every resolution (written by the next flush). */
  add(host: string, timeMs: number, values: [metric: string, value: number][]): void {
    const t = Math.floor(timeMs / 1000);
    for (const [metric, v] of values) if (Number.isFinite(v)) this.pending.push({ host, t, metric, v });
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const st = this.db.prepare(
      `INSERT INTO metric_samples (host, metric, resolution, bucket, sum, n, max) VALUES (?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (host, metric, resolution, bucket) DO UPDATE SET sum = sum + excluded.sum, n = n + 1, max = MAX(max, excluded.max)`,
    );
    this.db.transaction(() => {
      for (const x of rows) for (const r of RESOLUTIONS) st.run(x.host, x.metric, r.seconds, x.t - (x.t % r.seconds), x.v, x.v);
    })();
  }

  /** Buckets of one metric from `sinceMs` on, oldest first. */
  history(host: string, metric: string, resolution: number, sinceMs: number): MetricPoint[] {
    this.flush();
    const rows = this.db
      .prepare('SELECT bucket, sum, n, max FROM metric_samples WHERE host = ? AND metric = ? AND resolution = ? AND bucket >= ? ORDER BY bucket')
      .all(host, metric, resolution, Math.floor(sinceMs / 1000)) as { bucket: number; sum: number; n: number; max: number }[];
    return rows.map((r) => ({ bucket: r.bucket, avg: r.sum / r.n, max: r.max }));
  }

  /** Drop buckets past each resolution's retention; returns how many went. */
  prune(nowMs: number): number {
    this.flush();
    const now = Math.floor(nowMs / 1000);
    const st = this.db.prepare('DELETE FROM metric_samples WHERE resolution = ? AND bucket < ?');
    let n = 0;
    for (const r of RESOLUTIONS) n += st.run(r.seconds, now - r.keepSeconds).changes;
    return n;
  }

  metricsOf(host: string): string[] {
    this.flush();
    return (this.db.prepare('SELECT DISTINCT metric FROM metric_samples WHERE host = ? AND resolution = 3600').all(host) as { metric: string }[]).map((r) => r.metric);
  }
}
