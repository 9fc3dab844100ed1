// RPO forecast: how long until a host's newest recovery point is older than its RPO, and
// how long we can still wait before starting a backup and make it in time, given the
// backlog of changed bytes, the link's measured bandwidth and the rate at which the
// backlog grows — and whether the next scheduled (or already queued) backup, taking as
// long as recent ones did, commits in time anyway: then there is nothing to warn about.

export interface ForecastInput {
  rpoSeconds: number;
  /** newest point, or when the host was added if it has none */
  lastPointAt: number | null;
  createdAt: number;
  backlogBytes: number;
  bandwidthBps: number | null;
  changeRateBps: number;
  /** when the next backup of the host starts: its schedule's next run, now when one is queued, its start when one runs */
  nextRunAt?: number | null;
  /** how long recent backups of the host took, seconds */
  expectedRunSeconds?: number | null;
}

export interface RpoForecast {
  /** seconds until the RPO is breached (negative once it is) */
  secondsToBreach: number;
  /** seconds a backup started now would take to commit */
  catchUpSeconds: number;
  /** seconds left to start a backup that still commits before the breach; <= 0: too late */
  slackSeconds: number;
  /** when the next backup is expected to commit; null when none is planned */
  nextRunCommitsAt: number | null;
  /** the next backup commits before the breach */
  coveredByNextRun: boolean;
}

/**
 * When a backup starting (or started) at `start` commits: as long after its start as recent
 * ones took, and not before its bytes can cross the link from when it sends them.
 */
function commitTime(now: number, start: number, f: ForecastInput, W: number | null): number {
  const sendsFrom = Math.max(now, start);
  const bytes = Math.max(0, f.backlogBytes) + Math.max(0, f.changeRateBps) * ((sendsFrom - now) / 1000);
  const transfer = W ? bytes / W : 0;
  return Math.max(start + (f.expectedRunSeconds ?? 0) * 1000, sendsFrom + transfer * 1000);
}

export function rpoForecast(now: number, f: ForecastInput): RpoForecast {
  const deadline = (f.lastPointAt ?? f.createdAt) + f.rpoSeconds * 1000;
  const T = (deadline - now) / 1000;
  const W = f.bandwidthBps && f.bandwidthBps > 0 ? f.bandwidthBps : null;
  const nextRunCommitsAt = f.nextRunAt === undefined || f.nextRunAt === null ? null : commitTime(now, f.nextRunAt, f, W);
  const next = { nextRunCommitsAt, coveredByNextRun: nextRunCommitsAt !== null && nextRunCommitsAt <= deadline };
  if (W === null || (f.backlogBytes <= 0 && f.changeRateBps <= 0)) return { secondsToBreach: T, catchUpSeconds: 0, slackSeconds: T, ...next };
  const catchUp = f.backlogBytes / W;
  // a backup started t seconds from now carries B + c·t bytes: it commits in time while
  // t + (B + c·t) / W <= T, so the latest start is t* = (T - B/W) / (1 + c/W)
  const slack = (T - catchUp) / (1 + f.changeRateBps / W);
  return { secondsToBreach: T, catchUpSeconds: catchUp, slackSeconds: slack, ...next };
}

/** Lead time when a forecast rule gives no threshold: a tenth of the RPO, at least a minute. */
export function defaultLeadSeconds(rpoSeconds: number): number {
  return Math.max(60, rpoSeconds / 10);
}
