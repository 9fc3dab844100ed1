// RPO forecast: how long until a host's newest recovery point is older than its RPO, and
// how long we can still wait before starting a backup and make it in time, given the
// backlog of changed bytes, the link's measured bandwidth and the rate at which the
// backlog grows.

export interface ForecastInput {
  rpoSeconds: number;
  /** newest point, or when the host was added if it has none */
  lastPointAt: number | null;
  createdAt: number;
  backlogBytes: number;
  bandwidthBps: number | null;
  changeRateBps: number;
}

export interface RpoForecast {
  /** seconds until the RPO is breached (negative once it is) */
  secondsToBreach: number;
  /** seconds a backup started now would take to commit */
  catchUpSeconds: number;
  /** seconds left to start a backup that still commits before the breach; <= 0: too late */
  slackSeconds: number;
}

export function rpoForecast(now: number, f: ForecastInput): RpoForecast {
  const deadline = (f.lastPointAt ?? f.createdAt) + f.rpoSeconds * 1000;
  const T = (deadline - now) / 1000;
  const W = f.bandwidthBps && f.bandwidthBps > 0 ? f.bandwidthBps : null;
  if (W === null || (f.backlogBytes <= 0 && f.changeRateBps <= 0)) return { secondsToBreach: T, catchUpSeconds: 0, slackSeconds: T };
  const catchUp = f.backlogBytes / W;
  // a backup started t seconds from now carries B + c·t bytes: it commits in time while
  // t + (B + c·t) / W <= T, so the latest start is t* = (T - B/W) / (1 + c/W)
  const slack = (T - catchUp) / (1 + f.changeRateBps / W);
  return { secondsToBreach: T, catchUpSeconds: catchUp, slackSeconds: slack };
}

/** Lead time when a forecast rule gives no threshold: a tenth of the RPO, at least a minute. */
export function defaultLeadSeconds(rpoSeconds: number): number {
  return Math.max(60, rpoSeconds / 10);
}
