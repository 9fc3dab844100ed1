// The overview's numbers, computed from the store state (pure, unit-tested).
import type { HostView, JobStats, JobView, TierView } from '../../protocol/operator.js';
import { meetsRpo, rpoStatusAt } from '../../recovery/rpo.js';

export interface TierCompliance {
  tier: string;
  /** hosts whose newest point is no older than the tier's RPO */
  compliant: number;
  total: number;
}

/** RPO compliance per tier: the share of the tier's hosts with lastPointTime age ≤ RPO. */
export function rpoCompliance(hosts: readonly HostView[], tiers: readonly TierView[], now: number): TierCompliance[] {
  const names = [...tiers.map((t) => t.name)];
  for (const h of hosts) if (h.tier !== null && !names.includes(h.tier)) names.push(h.tier);
  return names.map((tier) => {
    const members = hosts.filter((h) => h.tier === tier);
    const rpoOfTier = tiers.find((t) => t.name === tier)?.rpoSeconds ?? null;
    const compliant = members.filter((h) => meetsRpo(rpoStatusAt(h.lastPointTime, h.rpoSeconds ?? rpoOfTier, now))).length;
    return { tier, compliant, total: members.length };
  }).filter((t) => t.total > 0);
}

export interface SuccessRate {
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed); null when nothing finished */
  rate: number | null;
}

function rate(succeeded: number, failed: number): SuccessRate {
  const total = succeeded + failed;
  return { succeeded, failed, rate: total === 0 ? null : succeeded / total };
}

export function successRates(stats: JobStats): { day: SuccessRate; week: SuccessRate } {
  return { day: rate(stats.succeeded24h, stats.failed24h), week: rate(stats.succeeded7d, stats.failed7d) };
}

export interface LinkCounts {
  connected: number;
  disconnected: number;
  never: number;
  failedOver: number;
  total: number;
}

/**
 * The same for the overview: it shows links, failovers and RPO compliance, not backlogs or
 * throughput, so the counts that change with every bitmap do not redraw it.
 */
export function sameForOverview(a: readonly HostView[], b: readonly HostView[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.name !== y.name || x.link !== y.link || x.failedOver !== y.failedOver || x.tier !== y.tier
      || x.rpoSeconds !== y.rpoSeconds || x.lastPointTime !== y.lastPointTime) return false;
  }
  return true;
}

export function linkCounts(hosts: readonly HostView[]): LinkCounts {
  const c: LinkCounts = { connected: 0, disconnected: 0, never: 0, failedOver: 0, total: hosts.length };
  for (const h of hosts) {
    c[h.link]++;
    if (h.failedOver) c.failedOver++;
  }
  return c;
}

export function taskCounts(jobs: readonly JobView[]): { running: number; queued: number } {
  let running = 0;
  let queued = 0;
  for (const j of jobs) {
    if (j.state === 'running') running++;
    else if (j.state === 'queued') queued++;
  }
  return { running, queued };
}

export function complianceTone(c: TierCompliance): 'ok' | 'warn' | 'bad' {
  if (c.compliant === c.total) return 'ok';
  return c.compliant / c.total >= 0.8 ? 'warn' : 'bad';
}
