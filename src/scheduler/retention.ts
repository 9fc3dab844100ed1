// GFS retention: which recovery points of one volume a policy keeps, and which rule keeps
// each. Rules count buckets that hold points, newest first, the way restic and borg do:
// `daily 3` keeps the newest point of each of the three newest days that have a point, so
// missed backups never make retention delete more. The newest point is always kept (it is
// the agents' base) and so is anything newer than now (clock skew).
import type { RetentionConfig } from '../config/types.js';
import { localTime } from './zone.js';

export interface RetentionPoint {
  id: number;
  /** ms since the epoch */
  time: number;
}

export interface RetentionDecision {
  id: number;
  keep: boolean;
  /** the rules that keep it ("daily 2025-03-07"), or why it goes */
  reasons: string[];
}

type Rule = 'keep_last' | 'daily' | 'weekly' | 'monthly' | 'yearly';

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 week of a calendar date: weeks start on Monday; week 1 holds the first Thursday. */
export function isoWeek(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7)); // the Thursday of this week decides the year
  const weekYear = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${weekYear}-W${pad(week)}`;
}

function bucketOf(rule: Exclude<Rule, 'keep_last'>, zone: string, ms: number): string {
  const t = localTime(zone, ms);
  switch (rule) {
    case 'daily':
      return `${t.year}-${pad(t.month)}-${pad(t.day)}`;
    case 'weekly':
      return isoWeek(t.year, t.month, t.day);
    case 'monthly':
      return `${t.year}-${pad(t.month)}`;
    case 'yearly':
      return String(t.year);
  }
}

export function describePolicy(p: RetentionConfig): string {
  const parts: string[] = [];
  if (p.keepLast) parts.push(`keep_last ${p.keepLast}`);
  if (p.daily) parts.push(`daily ${p.daily}`);
  if (p.weekly) parts.push(`weekly ${p.weekly}`);
  if (p.monthly) parts.push(`monthly ${p.monthly}`);
  if (p.yearly) parts.push(`yearly ${p.yearly}`);
  return parts.join(', ') || 'nothing';
}

/**
 * Decide for each point of one volume. Buckets (days, ISO weeks, months, years) are taken
 * in `zone`. The result is in the input's order.
 */
export function selectRetention(points: readonly RetentionPoint[], policy: RetentionConfig, now: number, zone = 'UTC'): RetentionDecision[] {
  const newestFirst = [...points].sort((a, b) => b.time - a.time || b.id - a.id);
  const reasons = new Map<number, string[]>(points.map((p) => [p.id, []]));
  const add = (id: number, why: string) => reasons.get(id)!.push(why);
  if (newestFirst[0]) add(newestFirst[0].id, 'newest');
  for (const p of newestFirst) if (p.time > now) add(p.id, 'newer than now');
  newestFirst.slice(0, policy.keepLast).forEach((p, i) => add(p.id, `last ${i + 1}`));
  const counted: [Exclude<Rule, 'keep_last'>, number][] = [
    ['daily', policy.daily],
    ['weekly', policy.weekly],
    ['monthly', policy.monthly],
    ['yearly', policy.yearly],
  ];
  for (const [rule, count] of counted) {
    let left = count;
    let last: string | null = null;
    for (const p of newestFirst) {
      if (left <= 0) break;
      const b = bucketOf(rule, zone, p.time);
      if (b === last) continue;
      last = b;
      left--;
      add(p.id, `${rule} ${b}`);
    }
  }
  const why = `kept by no rule of ${describePolicy(policy)}`;
  return points.map((p) => {
    const r = reasons.get(p.id)!;
    return r.length ? { id: p.id, keep: true, reasons: r } : { id: p.id, keep: false, reasons: [why] };
  });
}

/** Combine the decisions of several policies on one volume: a point stays when any keeps it. */
export function combineDecisions(byPolicy: { policy: string; decisions: RetentionDecision[] }[]): RetentionDecision[] {
  const out = new Map<number, RetentionDecision>();
  for (const { policy, decisions } of byPolicy) {
    for (const d of decisions) {
      const prev = out.get(d.id) ?? { id: d.id, keep: false, reasons: [] };
      const tagged = d.reasons.map((r) => `${policy}: ${r}`);
      if (d.keep && !prev.keep) out.set(d.id, { id: d.id, keep: true, reasons: tagged });
      else if (d.keep === prev.keep) out.set(d.id, { ...prev, reasons: [...prev.reasons, ...tagged] });
    }
  }
  return [...out.values()];
}
