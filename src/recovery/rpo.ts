// The RPO rule: how old a host's newest recovery point may be, the one judgement behind the
// cockpit's LAST POINT column and compliance, the daily inspection, /metrics, the rpo alarm
// and the failover's rpo gate.

/** ok: within RPO_NEAR_SHARE of the RPO; near: up to the RPO; breached: beyond it or no point. */
export type RpoLevel = 'ok' | 'near' | 'breached' | 'untiered';

export interface RpoStatus {
  level: RpoLevel;
  /** seconds since the newest recovery point (or `since`); null when there is neither */
  age: number | null;
}

/** Past this share of its RPO a host is near a breach. */
export const RPO_NEAR_SHARE = 0.75;

export interface RpoInput {
  /** epoch ms of the newest recovery point; null when there is none */
  lastPointAt: number | null;
  /** the objective in seconds; null when the host has no tier */
  rpoSeconds: number | null;
  /** epoch ms to count from while there is no point (a new host's grace); by default none */
  since?: number | null;
}

/** The age of the newest point at `now` (ms) against the RPO; exactly at the RPO is still met. */
export function rpoStatus(i: RpoInput, now: number): RpoStatus {
  const from = i.lastPointAt !== null && Number.isFinite(i.lastPointAt) ? i.lastPointAt : (i.since ?? null);
  const age = from === null || !Number.isFinite(from) ? null : Math.max(0, (now - from) / 1000);
  if (i.rpoSeconds === null) return { level: 'untiered', age };
  if (age === null || age > i.rpoSeconds) return { level: 'breached', age };
  return { level: age <= i.rpoSeconds * RPO_NEAR_SHARE ? 'ok' : 'near', age };
}

/** A tiered host that meets its RPO (ok or near). */
export function meetsRpo(s: RpoStatus): boolean {
  return s.level === 'ok' || s.level === 'near';
}

/** The same for an ISO time, as host views carry it (an unreadable time counts as none). */
export function rpoStatusAt(lastPointTime: string | null, rpoSeconds: number | null, now: number): RpoStatus {
  return rpoStatus({ lastPointAt: lastPointTime === null ? null : Date.parse(lastPointTime), rpoSeconds }, now);
}
