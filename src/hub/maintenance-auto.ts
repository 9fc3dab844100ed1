// Maintenance that runs itself (config `maintenance:`): on its cron, inside its window, one run
// applies retention (exactly the plan a dry run shows at that instant), collects garbage,
// deletes events and audit entries past their retention, and queues a full verify of the
// points not fully verified within `verify_every` — a bounded number per run, as verify jobs
// that stop when the window closes, so a large store is covered over several nights.
import type { MaintenanceRunRow, MaintenanceRunsRepo } from '../catalog/maintenance-runs-repo.js';
import type { ScheduleStore } from '../catalog/schedule-store.js';
import type { MaintenanceConfig } from '../config/types.js';
import type { MaintenanceAutoView, MaintenanceRunView, MaintenanceSummary, PruneReport } from '../protocol/maintenance.js';
import { SchedulePlanner } from '../scheduler/planner.js';
import type { QueueWindow } from '../scheduler/queue.js';
import { windowState } from '../scheduler/window.js';
import { ApiError } from './api.js';
import type { ScheduledJobParams } from './job-queue.js';
import type { JobRunner } from './jobs.js';
import type { HubMaintenance } from './maintenance.js';
import type { Broadcaster, Clock, HostRepo, JobRepo, Journal, PointRepo } from './ports.js';

/** The planner's name for the automatic run: not a valid schedule name, so never a user's. */
const PLAN_NAME = '.maintenance';
export const MAINTENANCE_ORIGIN = 'maintenance';
const RUNS_SHOWN = 5;

export interface AutoMaintenancePorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<JobRepo, 'jobsInState'>;
  state: Pick<ScheduleStore, 'ensure' | 'state' | 'fired'>;
  runs: MaintenanceRunsRepo;
  maintenance: Pick<HubMaintenance, 'prune' | 'gc'>;
  jobs: Pick<JobRunner, 'enqueue'>;
  journal: Journal;
  feed: Pick<Broadcaster, 'pushHub'>;
}

/** A point is due for a full verify when neither a full verify nor its own making is within `every`. */
export function pointsDueForVerify(points: readonly { id: number; time: string; verifiedAt: string | null; verifiedFraction: number | null }[], everyMs: number, now: number, limit: number): number[] {
  if (everyMs <= 0 || limit <= 0) return [];
  const since = (p: (typeof points)[number]) => Date.parse(p.verifiedAt !== null && (p.verifiedFraction ?? 0) >= 1 ? p.verifiedAt : p.time);
  return points
    .filter((p) => now - since(p) >= everyMs)
    .sort((a, b) => since(a) - since(b) || a.id - b.id)
    .slice(0, limit)
    .map((p) => p.id);
}

function runView(r: MaintenanceRunRow): MaintenanceRunView {
  let summary: MaintenanceSummary | null = null;
  try {
    const s = JSON.parse(r.summary) as Partial<MaintenanceSummary>;
    if (typeof s.retentionAt === 'string') summary = s as MaintenanceSummary;
  } catch {
    // a run that ended before writing its summary
  }
  return { id: r.id, origin: r.origin, startedAt: r.startedAt, finishedAt: r.finishedAt, state: r.state, error: r.error, summary };
}

export class AutoMaintenance {
  private planner: SchedulePlanner | null = null;
  private due = false;
  private phase: string | null = null;
  private readonly window: QueueWindow | null;

  constructor(
    private readonly p: AutoMaintenancePorts,
    private readonly config: MaintenanceConfig,
  ) {
    const w = config.window;
    this.window = w ? { text: w.text, startMinute: w.startMinute, endMinute: w.endMinute, zone: config.timezone } : null;
  }

  start(): void {
    const now = this.p.clock.now();
    const ended = this.p.runs.endInterrupted(new Date(now).toISOString());
    if (ended) this.p.journal.event('warning', 'maintenance.failed', null, `a maintenance run was interrupted by a hub stop; the next run starts over`);
    if (this.config.cron === null) return;
    this.p.state.ensure(PLAN_NAME, new Date(now).toISOString());
    this.planner = new SchedulePlanner([{ name: PLAN_NAME, cron: this.config.cron, timezone: this.config.timezone }], (name) => {
      const r = this.p.state.state(name);
      return r && { since: Date.parse(r.since), lastFiredAt: r.lastFiredAt ? Date.parse(r.lastFiredAt) : null };
    }, now);
    if (this.firstDeletionPending()) this.announceFirstRun();
  }

  /** Once a second: a due run starts when the window is open (and no run is in progress). */
  tick(): void {
    if (!this.planner) return;
    const now = this.p.clock.now();
    for (const d of this.planner.due(now)) {
      this.due = true;
      this.p.state.fired(PLAN_NAME, new Date(now).toISOString(), new Date(d.dueAt).toISOString(), d.missed);
    }
    if (this.due && this.phase === null && this.windowOpen(now)) {
      this.due = false;
      void this.run(MAINTENANCE_ORIGIN).catch(() => undefined);
    }
  }

  /** What the next run's retention would delete: a dry run at its time (now when none is planned or one is due). */
  preview(): PruneReport {
    const now = this.p.clock.now();
    const next = this.due ? undefined : this.planner?.nextDue(PLAN_NAME);
    return this.p.maintenance.prune({ dryRun: true, now: next ?? now }, 'maintenance-preview');
  }

  view(): MaintenanceAutoView {
    const next = this.planner?.nextDue(PLAN_NAME);
    return {
      cron: this.config.cron,
      timezone: this.config.timezone,
      window: this.window?.text ?? null,
      next: next === undefined ? null : new Date(next).toISOString(),
      waiting: this.due,
      phase: this.phase,
      firstDeletionPending: this.firstDeletionPending(),
      lastRuns: this.p.runs.recent(RUNS_SHOWN).map(runView),
    };
  }

  /** One run now: retention, gc, journal retention, verify queueing; the record of it. */
  async run(origin: string): Promise<MaintenanceRunView> {
    if (this.phase !== null) throw new ApiError('busy', `a maintenance run is in progress (${this.phase})`);
    const c = this.config;
    const started = this.p.clock.iso();
    const id = this.p.runs.begin(origin, started);
    const actor = origin === MAINTENANCE_ORIGIN ? 'maintenance' : origin;
    this.p.journal.event('info', 'maintenance.started', null, `maintenance run ${id} started (${origin === MAINTENANCE_ORIGIN ? 'scheduled' : `by ${origin}`})`);
    const s: MaintenanceSummary = { retentionAt: started, deleted: [], consolidated: [], chunksRemoved: 0, bytesFreed: 0, eventsRemoved: 0, auditRemoved: 0, verifyPoints: [], verifyJobs: [] };
    try {
      this.phase = 'retention';
      this.p.feed.pushHub();
      const now = this.p.clock.now();
      const pruned = this.p.maintenance.prune({ dryRun: false, now }, actor);
      s.retentionAt = pruned.now;
      s.deleted = pruned.deleted;
      s.consolidated = pruned.consolidated;

      this.phase = 'gc';
      this.p.feed.pushHub();
      const gc = await this.p.maintenance.gc({ bytesPerSecond: c.gcLimit ?? undefined }, actor);
      s.chunksRemoved = gc.chunksRemoved;
      s.bytesFreed = gc.bytesFreed;

      this.phase = 'journal';
      const at = this.p.clock.now();
      s.eventsRemoved = this.p.runs.pruneEvents(new Date(at - c.eventsKeep * 1000).toISOString());
      s.auditRemoved = this.p.runs.pruneAudit(new Date(at - c.auditKeep * 1000).toISOString(), { time: new Date(at).toISOString(), actor });

      this.phase = 'verify';
      this.queueVerify(s, at);

      this.p.runs.finish(id, this.p.clock.iso(), 'succeeded', s, null);
      this.p.journal.event(
        'info',
        'maintenance.finished',
        null,
        `maintenance run ${id}: deleted ${s.deleted.length} point(s), consolidated ${s.consolidated.length}, freed ${s.bytesFreed} bytes (${s.chunksRemoved} chunks); ` +
          `removed ${s.eventsRemoved} event(s) and ${s.auditRemoved} audit entries past retention; queued a full verify of ${s.verifyPoints.length} point(s)`,
        { run: id, ...s },
      );
      this.p.journal.audit(actor, 'maintenance.run', null, 'ok', { run: id, deleted: s.deleted, consolidated: s.consolidated, bytesFreed: s.bytesFreed, verifyPoints: s.verifyPoints });
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0] ?? 'failed';
      const error = `${this.phase}: ${msg}`;
      this.p.runs.finish(id, this.p.clock.iso(), 'failed', s, error);
      this.p.journal.event('critical', 'maintenance.failed', null, `maintenance run ${id} failed in ${error}`, { run: id });
      throw e instanceof ApiError ? e : new ApiError('failed', `maintenance run ${id} failed in ${error}`);
    } finally {
      this.phase = null;
      this.p.feed.pushHub();
    }
    return runView(this.p.runs.recent(RUNS_SHOWN).find((r) => r.id === id)!);
  }

  /** The points due for a full verify, at most verifyPerRun, as one verify job per host. */
  private queueVerify(s: MaintenanceSummary, now: number): void {
    const c = this.p.catalog;
    const busy = new Set([...c.jobsInState('queued'), ...c.jobsInState('running')].filter((j) => j.kind === 'verify' && j.origin === MAINTENANCE_ORIGIN).map((j) => j.hostId));
    const byPoint = new Map<number, number>();
    const candidates = c.hosts().filter((h) => !busy.has(h.id)).flatMap((h) => c.volumesOf(h.id).flatMap((v) => c.points(v.id).map((p) => (byPoint.set(p.id, h.id), p))));
    const due = pointsDueForVerify(candidates, this.config.verifyEvery * 1000, now, this.config.verifyPerRun);
    const byHost = new Map<number, number[]>();
    for (const id of due) byHost.set(byPoint.get(id)!, [...(byHost.get(byPoint.get(id)!) ?? []), id]);
    for (const [hostId, pointIds] of byHost) {
      const params: ScheduledJobParams & { pointIds: number[] } = { schedule: MAINTENANCE_ORIGIN, window: this.window, stopAtWindowEnd: this.window !== null, sample: 100, pointIds };
      const j = this.p.jobs.enqueue({ kind: 'verify', hostId, volumes: [], type: null, priority: 1, origin: MAINTENANCE_ORIGIN, params: { ...params } });
      s.verifyJobs.push(j.id);
      s.verifyPoints.push(...pointIds);
    }
  }

  private windowOpen(now: number): boolean {
    return this.window === null || windowState(this.window, this.window.zone, now).open;
  }

  /** No run has deleted a point yet (the preview is what the first deletion would be). */
  private firstDeletionPending(): boolean {
    return !this.p.runs.recent(1000).some((r) => (runView(r).summary?.deleted.length ?? 0) > 0);
  }

  /** Before the first automatic run deletes anything: an event saying what it would delete. */
  private announceFirstRun(): void {
    const next = this.planner?.nextDue(PLAN_NAME);
    if (next === undefined) return;
    const r = this.p.maintenance.prune({ dryRun: true, now: next }, 'maintenance-preview');
    if (r.deleted.length === 0) return;
    this.p.journal.event(
      'info',
      'maintenance.preview',
      null,
      `automatic maintenance first runs at ${new Date(next).toISOString()}: retention would delete ${r.deleted.length} point(s) and consolidate ${r.consolidated.length} (drc maintenance preview)`,
      { next: new Date(next).toISOString(), deleted: r.deleted },
    );
  }
}
