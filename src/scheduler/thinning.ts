// Thinning of continuous replication's points: a continuous host commits a point every few
// seconds, so retention keeps every point of the last 10 minutes, then the newest point of
// each hour for a day; older points are left to the normal GFS rules (a point stays when
// either keeps it). The hub applies it after every cycle, so after an hour the catalog holds
// what an hourly schedule would plus the last minutes' cycles, not the hour's hundreds.
import type { RetentionDecision, RetentionPoint } from './retention.js';

export interface ThinningPolicy {
  /** every point younger than this is kept */
  keepAllSeconds: number;
  /** then the newest point of each slot of this length… */
  slotSeconds: number;
  /** …for points younger than this */
  slotsForSeconds: number;
}

export const CONTINUOUS_THINNING: ThinningPolicy = { keepAllSeconds: 600, slotSeconds: 3600, slotsForSeconds: 86_400 };

export function describeThinning(t: ThinningPolicy): string {
  return `thinning: all of ${t.keepAllSeconds / 60} min, 1 per ${t.slotSeconds / 60} min for ${t.slotsForSeconds / 3600} h`;
}

/**
 * Decide for each point of one continuous volume (result in the input's order). Slots are
 * aligned to the epoch, so a point kept for its slot stays kept as time moves on until it
 * leaves the thinned window; points beyond the window are kept by no thinning rule.
 */
export function selectThinning(points: readonly RetentionPoint[], policy: ThinningPolicy, now: number): RetentionDecision[] {
  const newestFirst = [...points].sort((a, b) => b.time - a.time || b.id - a.id);
  const reasons = new Map<number, string>();
  const slotMs = policy.slotSeconds * 1000;
  const seen = new Set<number>();
  for (const p of newestFirst) {
    const age = (now - p.time) / 1000;
    if (age <= policy.keepAllSeconds) {
      reasons.set(p.id, `continuous: within ${policy.keepAllSeconds / 60} min`);
      continue;
    }
    if (age > policy.slotsForSeconds) continue;
    const slot = Math.floor(p.time / slotMs);
    if (seen.has(slot)) continue;
    seen.add(slot);
    reasons.set(p.id, `continuous: newest of ${new Date(slot * slotMs).toISOString().slice(11, 16)} slot`);
  }
  const why = `kept by no rule of ${describeThinning(policy)}`;
  return points.map((p) => {
    const r = reasons.get(p.id);
    return r ? { id: p.id, keep: true, reasons: [r] } : { id: p.id, keep: false, reasons: [why] };
  });
}
