// The hub's scheduler: every tick it asks the planner which schedules are due, enqueues one
// job per targeted host (priority, window and origin "schedule:NAME" in the job), remembers
// the firing in the catalog (catch-up after a restart runs once), stops jobs told to end with
// their window, and pumps the queue so waiting jobs start when their window opens.
import type { HostRow, JobRow } from '../catalog/catalog.js';
import type { ScheduleStore } from '../catalog/schedule-store.js';
import type { ScheduleConfig } from '../config/types.js';
import type { ScheduleLastResult, ScheduleView } from '../protocol/maintenance.js';
import type { JobView } from '../protocol/operator.js';
import { SchedulePlanner, type DueRun } from '../scheduler/planner.js';
import { effectivePriority, type QueueWindow } from '../scheduler/queue.js';
import { describePolicy } from '../scheduler/retention.js';
import { matchingHosts } from '../scheduler/targets.js';
import { windowState } from '../scheduler/window.js';
import { localIso } from '../scheduler/zone.js';
import { ApiError } from './api.js';
import { jobWindow, queuedRow, type ScheduledJobParams } from './job-queue.js';
import type { JobRunner } from './jobs.js';
import type { Clock, HostRepo, JobRepo, Journal } from './ports.js';

/** What the scheduler uses: the job runner is a sibling it enqueues into. */
export interface SchedulerPorts {
  clock: Clock;
  catalog: Pick<HostRepo, 'hosts'> & Pick<JobRepo, 'job' | 'jobsInState'>;
  /** firings remembered across restarts (catch-up), and the runs of each schedule */
  state: Pick<ScheduleStore, 'ensure' | 'state' | 'fired' | 'jobsOf'>;
  jobs: Pick<JobRunner, 'enqueue' | 'cancel' | 'pump' | 'view'>;
  journal: Journal;
  agingSeconds: number;
}

const NEXT_RUNS_SHOWN = 5;
/** jobs enqueued this close together belong to one run of a schedule */
const RUN_SPREAD_MS = 5000;

export const scheduleOrigin = (name: string) => `schedule:${name}`;

function windowOf(s: ScheduleConfig): QueueWindow | null {
  return s.window ? { text: s.window.text, startMinute: s.window.startMinute, endMinute: s.window.endMinute, zone: s.timezone } : null;
}

export class HubScheduler {
  private planner: SchedulePlanner | null = null;
  private readonly state: SchedulerPorts['state'];
  private byName: Map<string, ScheduleConfig>;

  constructor(
    private readonly p: SchedulerPorts,
    public schedules: readonly ScheduleConfig[],
  ) {
    this.state = p.state;
    this.byName = new Map(schedules.map((s) => [s.name, s]));
  }

  /** `fresh`: schedules whose next run counts from now (new or changed by a config reload: no catch-up). */
  start(fresh: ReadonlySet<string> = new Set()): void {
    const now = this.p.clock.now();
    for (const s of this.schedules) this.state.ensure(s.name, new Date(now).toISOString());
    this.planner = new SchedulePlanner(
      this.schedules,
      (name) => {
        if (fresh.has(name)) return { since: now, lastFiredAt: null };
        const r = this.state.state(name);
        return r && { since: Date.parse(r.since), lastFiredAt: r.lastFiredAt ? Date.parse(r.lastFiredAt) : null };
      },
      now,
    );
  }

  /** A config reload: the new schedules take over at once; a new or changed one runs next at its cron's next time. */
  reconfigure(schedules: readonly ScheduleConfig[]): void {
    const before = new Map(this.schedules.map((s) => [s.name, JSON.stringify(s)]));
    this.schedules = schedules;
    this.byName = new Map(schedules.map((s) => [s.name, s]));
    const fresh = new Set(schedules.filter((s) => before.get(s.name) !== JSON.stringify(s)).map((s) => s.name));
    if (this.planner) this.start(fresh);
  }

  /** Once a second. */
  tick(): void {
    if (!this.planner) return;
    const now = this.p.clock.now();
    for (const due of this.planner.due(now)) this.fire(this.byName.get(due.name)!, due, now);
    this.stopJobsPastTheirWindow(now);
    this.p.jobs.pump();
  }

  private targets(s: ScheduleConfig): HostRow[] {
    return matchingHosts(s.targets, this.p.catalog.hosts()).filter((h) => !h.revoked && !h.failedOver);
  }

  private enqueue(s: ScheduleConfig, host: HostRow, window: QueueWindow | null): JobRow {
    const params: ScheduledJobParams = { schedule: s.name, window, stopAtWindowEnd: window !== null && s.stopAtWindowEnd };
    return this.p.jobs.enqueue({
      kind: s.type === 'verify' ? 'verify' : 'backup',
      hostId: host.id,
      volumes: [],
      type: s.type === 'verify' ? null : s.type,
      priority: s.priority,
      origin: scheduleOrigin(s.name),
      params: { ...params },
    });
  }

  private fire(s: ScheduleConfig, due: DueRun, now: number): void {
    const origin = scheduleOrigin(s.name);
    const pending = new Set(
      [...this.p.catalog.jobsInState('queued'), ...this.p.catalog.jobsInState('running')].filter((j) => j.origin === origin).map((j) => j.hostId),
    );
    const started: number[] = [];
    const skipped: string[] = [];
    for (const h of this.targets(s)) {
      // a run still queued or running for this host covers this one too: no pile-up
      if (pending.has(h.id)) skipped.push(h.name);
      else started.push(this.enqueue(s, h, windowOf(s)).id);
    }
    this.state.fired(s.name, new Date(now).toISOString(), new Date(due.dueAt).toISOString(), due.missed);
    const late = due.missed > 0 || now - due.dueAt > 60_000 ? ` (catch-up of the run due ${new Date(due.dueAt).toISOString()}, ${due.missed} more missed)` : '';
    const skip = skipped.length ? `; still pending on ${skipped.join(', ')}` : '';
    this.p.journal.event('info', 'schedule.fired', null, `schedule ${s.name}: ${started.length} job(s) queued${late}${skip}`, { schedule: s.name, jobs: started, missed: due.missed });
  }

  private stopJobsPastTheirWindow(now: number): void {
    for (const j of this.p.catalog.jobsInState('running')) {
      if (j.params.stopAtWindowEnd !== true) continue;
      const w = jobWindow(j.params);
      if (w && !windowState(w, w.zone, now).open) this.p.jobs.cancel(j.id, `stopped: window ${w.text} (${w.zone}) closed before the job finished`);
    }
  }

  /** Run a schedule now on every host it targets; its window does not apply. */
  runNow(name: string, actor: string): JobView[] {
    const s = this.byName.get(name);
    if (!s) throw new ApiError('not-found', `no schedule named ${name} (defined: ${[...this.byName.keys()].join(', ') || 'none'})`);
    const jobs = this.targets(s).map((h) => this.enqueue(s, h, null));
    this.p.journal.audit(actor, 'schedules.run', name, 'queued', { jobs: jobs.map((j) => j.id) });
    return jobs.map((j) => this.p.jobs.view(this.p.catalog.job(j.id)!));
  }

  private lastResult(s: ScheduleConfig): ScheduleLastResult | null {
    const jobs = this.state.jobsOf(scheduleOrigin(s.name), 200);
    if (jobs.length === 0) return null;
    const newest = Date.parse(jobs[0]!.createdAt);
    const run = jobs.filter((j) => newest - Date.parse(j.createdAt) <= RUN_SPREAD_MS);
    const st = this.state.state(s.name);
    const state: ScheduleLastResult['state'] = run.some((j) => j.state === 'queued' || j.state === 'running')
      ? 'running'
      : run.some((j) => j.state === 'failed')
        ? 'failed'
        : run.some((j) => j.state === 'cancelled')
          ? 'cancelled'
          : 'succeeded';
    return {
      state,
      firedAt: jobs[0]!.createdAt,
      missed: st && st.lastFiredAt && Date.parse(st.lastFiredAt) >= newest - RUN_SPREAD_MS ? st.lastMissed : 0,
      jobIds: run.map((j) => j.id).reverse(),
      error: run.find((j) => j.error)?.error ?? null,
    };
  }

  /** When each host's next backup starts: its start when one runs, now when one is queued, else its schedules' next run. */
  nextRuns(): Map<string, number> {
    const now = this.p.clock.now();
    const out = new Map<string, number>();
    const hosts = this.p.catalog.hosts();
    for (const s of this.schedules) {
      const t = this.planner?.upcoming(s.name, 1)[0];
      if (t === undefined) continue;
      for (const h of matchingHosts(s.targets, hosts)) if (!out.has(h.name) || out.get(h.name)! > t) out.set(h.name, t);
    }
    const names = new Map(hosts.map((h) => [h.id, h.name]));
    for (const j of this.p.catalog.jobsInState('queued')) if (j.kind === 'backup') out.set(names.get(j.hostId) ?? '?', now);
    for (const j of this.p.catalog.jobsInState('running')) if (j.kind === 'backup') out.set(names.get(j.hostId) ?? '?', j.startedAt ? Date.parse(j.startedAt) : now);
    return out;
  }

  views(): ScheduleView[] {
    const now = this.p.clock.now();
    const hosts = this.p.catalog.hosts();
    const names = new Map(hosts.map((h) => [h.id, h.name]));
    const aging = this.p.agingSeconds;
    const active = [...this.p.catalog.jobsInState('running'), ...this.p.catalog.jobsInState('queued')];
    return this.schedules.map((s) => {
      const runs = this.planner?.upcoming(s.name, NEXT_RUNS_SHOWN) ?? [];
      const w = windowOf(s);
      const ws = w ? windowState(w, w.zone, now) : null;
      const queue = active
        .filter((j) => j.origin === scheduleOrigin(s.name))
        .map((j) => ({ j, q: queuedRow(j, names.get(j.hostId) ?? '?') }))
        .map(({ j, q }) => ({
          jobId: j.id,
          host: q.host,
          state: j.state as 'queued' | 'running',
          priority: j.priority,
          effectivePriority: effectivePriority(q, now, aging),
          waitReason: this.p.jobs.view(j).waitReason,
        }))
        .sort((a, b) => (a.state === b.state ? b.effectivePriority - a.effectivePriority || a.jobId - b.jobId : a.state === 'running' ? -1 : 1));
      return {
        name: s.name,
        next: runs[0] === undefined ? null : new Date(runs[0]).toISOString(),
        nextRuns: runs.map((t) => ({ utc: new Date(t).toISOString(), local: localIso(s.timezone, t) })),
        cron: s.cron,
        timezone: s.timezone,
        priority: s.priority,
        targets: s.targets,
        hosts: matchingHosts(s.targets, hosts).map((h) => h.name),
        type: s.type,
        window:
          w && ws
            ? { text: w.text, open: ws.open, opensAt: new Date(ws.opensAt).toISOString(), closesAt: new Date(ws.closesAt).toISOString(), opensInSeconds: ws.open ? 0 : Math.round((ws.opensAt - now) / 1000) }
            : null,
        stopAtWindowEnd: s.stopAtWindowEnd,
        retention: s.retention ? describePolicy(s.retention) : null,
        lastResult: this.lastResult(s),
        queue,
      };
    });
  }
}
