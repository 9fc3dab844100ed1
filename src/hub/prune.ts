// Retention on the hub's points: which policy applies to each host (schedules that target
// it with their own retention, else the global one), the GFS decision per volume, then the
// deletions (newest first: each merges into its child) and consolidations, or only the plan.
import type { HostRow, PointRow } from '../catalog/catalog.js';
import type { RetentionConfig, ScheduleConfig } from '../config/types.js';
import type { PruneDecisionView, PruneReport } from '../protocol/maintenance.js';
import { combineDecisions, selectRetention, type RetentionDecision } from '../scheduler/retention.js';
import { hostMatches } from '../scheduler/targets.js';
import { CONTINUOUS_THINNING, selectThinning } from '../scheduler/thinning.js';
import type { BlockStore } from '../store/block-store.js';
import { PointChains } from '../store/point-chain.js';
import type { Broadcaster, HostRepo, JobRepo, PointRepo } from './ports.js';
import { pointView } from './wire.js';

/** What retention uses: the points, the store, the policies from config, the operators' feed. */
export interface PrunePorts {
  catalog: HostRepo & PointRepo & Pick<JobRepo, 'jobsInState'>;
  store: BlockStore;
  feed: Pick<Broadcaster, 'broadcast'>;
  schedules: readonly ScheduleConfig[];
  retention: RetentionConfig | null;
  /** hosts replicated continuously: their points are thinned as well (scheduler/thinning.ts) */
  continuousHosts?: ReadonlySet<string>;
}

interface Policy {
  name: string;
  policy: RetentionConfig;
  zone: string;
}

export function policiesOf(host: HostRow, schedules: readonly ScheduleConfig[], global: RetentionConfig | null): Policy[] {
  const own = schedules.filter((s) => s.retention && hostMatches(s.targets, host)).map((s) => ({ name: s.name, policy: s.retention!, zone: s.timezone }));
  if (own.length) return own;
  return global ? [{ name: 'global', policy: global, zone: 'UTC' }] : [];
}

/**
 * The points of a volume (oldest first) that consolidation turns into synthetic fulls once
 * the deleted ones are gone: each survivor that would sit more than `after` deltas away
 * from its full. A survivor whose chain lost its base becomes a full by the deletion.
 */
export function consolidationPlan(all: readonly PointRow[], deleted: ReadonlySet<number>, after: number | null): number[] {
  if (after === null) return [];
  const out: number[] = [];
  let depth = 0;
  /** a base (full) was deleted since the last survivor: the next survivor becomes a full */
  let baseLost = false;
  let first = true;
  for (const p of all) {
    const isBase = p.type === 'full' || p.parentId === null;
    if (deleted.has(p.id)) {
      if (isBase) baseLost = true;
      continue;
    }
    depth = first || isBase || baseLost ? 0 : depth + 1;
    first = false;
    baseLost = false;
    if (depth > after) {
      out.push(p.id);
      depth = 0;
    }
  }
  return out;
}

/** Thinning of a continuous volume; with no GFS policy behind it, points older than the thinned window stay. */
function thinned(input: { id: number; time: number }[], now: number, gfs: boolean): RetentionDecision[] {
  const d = selectThinning(input, CONTINUOUS_THINNING, now);
  if (gfs) return d;
  const horizon = now - CONTINUOUS_THINNING.slotsForSeconds * 1000;
  const time = new Map(input.map((p) => [p.id, p.time]));
  return d.map((x) => (!x.keep && time.get(x.id)! < horizon ? { id: x.id, keep: true, reasons: ['older than the thinned day, no retention policy'] } : x));
}

/** Retention over every host, or only over `o.hosts` (a continuous host after each cycle). */
export function prune(ports: PrunePorts, o: { dryRun: boolean; now: number; hosts?: ReadonlySet<string> }): PruneReport {
  const c = ports.catalog;
  const schedules = ports.schedules;
  const global = ports.retention;
  // points a queued restore will read, and those restores, drills and failovers read now
  const restoring = new Set([
    ...c.jobsInState('queued').filter((j) => j.kind === 'restore' && typeof j.params.pointId === 'number').map((j) => j.params.pointId as number),
    ...ports.store.pointsBeingRead(),
  ]);
  const decisions: PruneDecisionView[] = [];
  const deleted: number[] = [];
  const consolidated: number[] = [];
  const unmanagedHosts: string[] = [];
  const chains = new PointChains(ports.store);
  for (const host of c.hosts()) {
    if (o.hosts && !o.hosts.has(host.name)) continue;
    const policies = policiesOf(host, schedules, global);
    const vols = c.volumesOf(host.id);
    const continuous = ports.continuousHosts?.has(host.name) ?? false;
    if (policies.length === 0 && !continuous) {
      if (vols.some((v) => c.points(v.id).length > 0)) unmanagedHosts.push(host.name);
      continue;
    }
    for (const v of vols) {
      const points = c.points(v.id);
      if (points.length === 0) continue;
      const input = points.map((p) => ({ id: p.id, time: Date.parse(p.time) }));
      const byPolicy = policies.map((p) => ({ policy: p.name, decisions: selectRetention(input, p.policy, o.now, p.zone) }));
      if (continuous) byPolicy.push({ policy: 'continuous', decisions: thinned(input, o.now, policies.length > 0) });
      const combined = combineDecisions(byPolicy);
      const byId = new Map<number, RetentionDecision>(combined.map((d) => [d.id, d]));
      for (const p of points) {
        const d = byId.get(p.id)!;
        if (!d.keep && restoring.has(p.id)) {
          d.keep = true;
          d.reasons = ['a restore reads it'];
        }
      }
      const gone = new Set(points.filter((p) => !byId.get(p.id)!.keep).map((p) => p.id));
      const toConsolidate = new Set(consolidationPlan(points, gone, global?.consolidateAfter ?? null));
      for (const p of points) {
        const d = byId.get(p.id)!;
        const action = !d.keep ? 'delete' : toConsolidate.has(p.id) ? 'consolidate' : 'keep';
        decisions.push({ pointId: p.id, host: host.name, volume: v.name, time: p.time, type: p.type, action, reasons: d.reasons });
      }
      const doomed = [...gone].sort((a, b) => b - a);
      deleted.push(...doomed);
      consolidated.push(...toConsolidate);
      if (o.dryRun) continue;
      const touched = new Set<number>();
      for (const id of doomed) {
        for (const u of chains.delete(id).updated) touched.add(u);
        touched.delete(id);
        ports.feed.broadcast({ type: 'point.removed', id });
      }
      for (const id of toConsolidate) {
        chains.consolidate(id);
        touched.add(id);
      }
      for (const id of touched) ports.feed.broadcast({ type: 'point', point: pointView(c, c.point(id)!) });
    }
  }
  return { now: new Date(o.now).toISOString(), dryRun: o.dryRun, decisions, deleted: deleted.sort((a, b) => a - b), consolidated, unmanagedHosts };
}
