// What a drill or failover covers: hosts (or a plan's groups in boot order), each volume's
// recovery point, the tier objectives and the checks that apply.
import path from 'node:path';
import type { Catalog, PointRow } from '../catalog/catalog.js';
import type { CheckConfig, PlanConfig } from '../config/types.js';
import type { TierView } from '../protocol/operator.js';
import { checkApplies } from './checks.js';
import { RecoveryError } from './errors.js';
import { lastClean, lastUntainted, trustOfRow } from './trust.js';
import type { RunbookHost } from './runbook.js';
import type { RunScopeHost } from './run-store.js';

export interface ScopeRequest {
  hosts?: string[];
  plan?: string;
  /** undefined: the last clean point, else the latest undamaged verified one, else latest; `latest`; a point id; an ISO time */
  point?: string;
}

export interface ResolvedScope {
  plan: string | null;
  pointSpec: string;
  groups: { hosts: RunbookHost[]; waitSeconds: number }[];
  hosts: RunScopeHost[];
  /** what an operator should know about the points chosen (older than the newest…) */
  notes: string[];
}

export interface ScopeConfig {
  plans: PlanConfig[];
  checks: CheckConfig[];
  tiers: TierView[];
}

/** Choose the point of one volume. `anchor` is the time an explicit point id pins the others to. */
function choosePoint(points: PointRow[], spec: string | undefined, anchor: number | null, where: string): PointRow {
  if (points.length === 0) throw new RecoveryError('not-found', `${where} has no recovery points`);
  if (spec === undefined) {
    // else the newest verified (even by a sample), else the newest at all, none damaged or suspect
    return (
      lastClean(points, trustOfRow) ??
      lastClean(points, (p) => ({ ...trustOfRow(p), fullyVerified: p.verifiedAt !== null })) ??
      lastUntainted(points, trustOfRow) ??
      points[points.length - 1]!
    );
  }
  if (spec === 'latest') return points[points.length - 1]!;
  const t = anchor ?? Date.parse(spec);
  if (Number.isNaN(t)) throw new RecoveryError('bad-request', `point "${spec}" is not an id, "latest" or an ISO 8601 time`);
  const before = points.filter((p) => Date.parse(p.time) <= t);
  if (before.length === 0) throw new RecoveryError('not-found', `${where} has no recovery point at or before ${new Date(t).toISOString()}`);
  return before[before.length - 1]!;
}

/** Why the chosen point is older than the newest: what an operator reads in a preview, pre-check and report. */
function olderNote(where: string, p: PointRow, newest: PointRow, all: PointRow[]): string {
  const suspect = all.filter((x) => x.suspect && x.id > p.id);
  const why = newest.damaged ? ' (damaged)' : suspect.length ? ` (suspicious change at point ${suspect.map((x) => x.id).join(', ')})` : '';
  return `${where}: point ${p.id} of ${p.time} is the last clean one, older than the newest point ${newest.id} of ${newest.time}, which is not proven clean${why}`;
}

export function resolveScope(c: Catalog, cfg: ScopeConfig, req: ScopeRequest, imageOf: (host: string, volume: string) => string): ResolvedScope {
  let plan: PlanConfig | null = null;
  let groups: { names: string[]; waitSeconds: number }[];
  if (req.plan !== undefined) {
    plan = cfg.plans.find((p) => p.name === req.plan) ?? null;
    if (!plan) throw new RecoveryError('not-found', `no plan named ${req.plan} (configured: ${cfg.plans.map((p) => p.name).join(', ') || 'none'})`);
    if (req.hosts?.length) throw new RecoveryError('bad-request', 'give hosts or a plan, not both');
    groups = plan.groups.map((g) => ({ names: g.hosts, waitSeconds: g.wait }));
  } else {
    if (!req.hosts?.length) throw new RecoveryError('bad-request', 'no hosts given (name hosts or a plan)');
    groups = [{ names: [...new Set(req.hosts)], waitSeconds: 0 }];
  }
  // an explicit point id pins every other volume to the newest point at or before its time
  let anchor: number | null = null;
  if (req.point !== undefined && /^\d+$/.test(req.point)) {
    const p = c.point(Number(req.point));
    const v = p && c.volumeById(p.volumeId);
    const owner = v && c.hostById(v.hostId);
    if (!p || !owner || !groups.some((g) => g.names.includes(owner.name))) throw new RecoveryError('not-found', `no recovery point ${req.point} of ${groups.flatMap((g) => g.names).join(', ')}`);
    anchor = Date.parse(p.time);
  }
  const hosts: RunScopeHost[] = [];
  const notes: string[] = [];
  const outGroups = groups.map((g) => ({
    waitSeconds: g.waitSeconds,
    hosts: g.names.map((name): RunbookHost => {
      const h = c.hostByName(name);
      if (!h) throw new RecoveryError('not-found', `no host named ${name}`);
      const vols = c.volumesOf(h.id);
      if (vols.length === 0) throw new RecoveryError('not-found', `host ${name} has no volumes yet (its agent has never connected)`);
      const tier = cfg.tiers.find((t) => t.name === h.tier) ?? null;
      const points = vols.map((v) => {
        const all = c.points(v.id);
        const p = choosePoint(all, req.point, anchor, `${name}/${v.name}`);
        const newest = all[all.length - 1]!;
        if (req.point === undefined && p.id !== newest.id) notes.push(olderNote(`${name}/${v.name}`, p, newest, all));
        return { volume: v.name, pointId: p.id, time: p.time, type: p.type, size: p.size, verified: p.verifiedAt !== null, image: imageOf(name, v.name) };
      });
      const eligible = plan ? cfg.checks.filter((x) => plan.checks.includes(x.name)) : cfg.checks;
      const checks = eligible.filter((x) => checkApplies(x, { name, tags: h.tags, tier: h.tier })).map((x) => x.name);
      hosts.push({ host: name, tier: h.tier, rtoSeconds: tier?.rtoSeconds ?? null, rpoSeconds: tier?.rpoSeconds ?? null, points, checks });
      return { name, volumes: vols.map((v) => v.name) };
    }),
  }));
  // nothing destructive by accident: an image must never land on a protected volume's own path
  const protectedPaths = new Set(c.hosts().flatMap((h) => c.volumesOf(h.id).map((v) => path.resolve(v.path))));
  for (const p of hosts.flatMap((h) => h.points)) {
    if (protectedPaths.has(path.resolve(p.image))) throw new RecoveryError('refused', `target image ${p.image} is the path of a protected volume; choose another target`);
  }
  return { plan: plan?.name ?? null, pointSpec: req.point ?? 'last-clean', groups: outGroups, hosts, notes };
}
