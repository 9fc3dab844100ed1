// A copy's own retention: which points a copy keeps by its `keep` (points within a time, GFS
// rules, or both; a point stays when either keeps it) over the points it holds and the ones it
// could still copy, per volume; and how long an immutable copy locks what it writes.
import type { RetentionConfig } from '../config/types.js';
import { selectRetention } from './retention.js';

export interface CopyKeepPolicy {
  /** seconds a point is kept after it was taken; null = no time rule */
  within: number | null;
  rules: RetentionConfig | null;
  timezone: string;
}

export interface CopyCandidate {
  /** unique among the candidates (a point object name, or `point:<id>` for one not copied yet) */
  key: string;
  /** host/volume: retention counts per volume */
  volume: string;
  /** when the point was taken, ms since the epoch */
  time: number;
}

const DAY = 86_400;
/** how long an immutable copy locks what it writes when its keep names no time */
export const DEFAULT_LOCK_SECONDS = 365 * DAY;

/** The keys a policy keeps. Without any rule every point is kept; the newest point of each volume always is. */
export function keptByCopy(points: readonly CopyCandidate[], policy: CopyKeepPolicy, now: number): Set<string> {
  if (policy.within === null && policy.rules === null) return new Set(points.map((p) => p.key));
  const kept = new Set<string>();
  const byVolume = new Map<string, CopyCandidate[]>();
  for (const p of points) byVolume.set(p.volume, [...(byVolume.get(p.volume) ?? []), p]);
  for (const group of byVolume.values()) {
    const newest = group.reduce((a, b) => (b.time > a.time ? b : a));
    kept.add(newest.key);
    if (policy.within !== null) for (const p of group) if (p.time >= now - policy.within * 1000) kept.add(p.key);
    if (policy.rules) {
      const decisions = selectRetention(group.map((p, i) => ({ id: i, time: p.time })), policy.rules, now, policy.timezone);
      for (const d of decisions) if (d.keep) kept.add(group[d.id]!.key);
    }
  }
  return kept;
}

/**
 * Seconds an immutable copy retains each object: the `within` time, else the longest span the
 * GFS rules can keep a point (daily n: n days … yearly n: n years), else a year.
 */
export function copyLockSeconds(policy: Omit<CopyKeepPolicy, 'timezone'>): number {
  if (policy.within !== null) return policy.within;
  const r = policy.rules;
  const span = r ? Math.max(r.daily * DAY, r.weekly * 7 * DAY, r.monthly * 31 * DAY, r.yearly * 366 * DAY) : 0;
  return span > 0 ? span : DEFAULT_LOCK_SECONDS;
}
