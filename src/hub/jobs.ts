// The job runner: a queue ordered by priority, global and per-host concurrency limits,
// backups handed to agents, restores run in the hub; progress, cancel, retry.
import type { JobRow } from '../catalog/catalog.js';
import type { QueuedJobRow } from '../catalog/queue-store.js';
import type { JobProgress, JobView } from '../protocol/operator.js';
import { planStarts } from '../scheduler/queue.js';
import { queueJobs } from './job-queue.js';
import type { LiveState } from './live.js';
import type { AgentLink, AgentLinks, Broadcaster, Clock, HostRepo, HubTask, JobRepo, Journal, PointRepo } from './ports.js';
import { jobView } from './wire.js';

/** What the job runner uses; the hub's siblings (verify, restore) come in as tasks. */
export interface JobRunnerPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & JobRepo;
  queue: { queued(): QueuedJobRow[] };
  live: LiveState;
  links: AgentLinks;
  journal: Pick<Journal, 'event'>;
  feed: Broadcaster;
  runVerify: HubTask<JobRow>;
  runRestore: HubTask<JobRow>;
  /** stallMs: the watchdog fails a running job that made no progress for this long (absent: never) */
  limits: { concurrency: number; agingSeconds: number; stallMs?: number };
}

interface Running {
  host: string;
  kind: JobRow['kind'];
  abort?: AbortController;
  /** the agent link a backup runs on (a host's primary and DR-site agents may both be connected) */
  link?: AgentLink;
  cancelled?: boolean;
  /** why it was cancelled, when not by an operator (a schedule's window closed) */
  cancelReason?: string;
  lastBroadcast: number;
  /** when its progress last moved (phase or bytes), for the watchdog */
  movedAt: number;
  moved: string;
  /** a hub task reported all its bytes done */
  finishing?: boolean;
  samples: { t: number; done: number }[];
  bytesWire: number;
  bytesNew: number;
}

export class JobRunner {
  private running = new Map<number, Running>();
  private waitReasons = new Map<number, string>();
  private dirty = new Set<number>();
  private pumping = false;
  private pumpAgain = false;
  private readonly c: JobRunnerPorts['catalog'];

  constructor(private readonly p: JobRunnerPorts) {
    this.c = p.catalog;
  }

  /** After a restart: jobs that were running did not finish. */
  recover(): void {
    for (const j of this.c.jobsInState('running')) {
      this.c.updateJob(j.id, { state: 'failed', error: 'hub restarted during the job', finishedAt: this.p.clock.iso() });
      // raises the same alarm as any failed job of its kind (backup-failed for backups)
      const host = this.c.hostById(j.hostId)?.name ?? null;
      this.p.journal.event('critical', `${j.kind}.failed`, host, `${j.kind} job ${j.id}${host ? ` of ${host}` : ''} failed: the hub stopped during it`, { job: j.id });
    }
  }

  view(j: JobRow): JobView {
    return jobView(this.c, this.p.live, j, this.waitReasons.get(j.id) ?? null);
  }

  views(): JobView[] {
    return this.c.recentJobs(300).map((j) => this.view(j));
  }

  push(id: number): void {
    const j = this.c.job(id);
    if (j) this.p.feed.broadcast({ type: 'job', job: this.view(j) });
  }

  enqueue(j: Pick<JobRow, 'kind' | 'hostId' | 'volumes' | 'type' | 'priority' | 'origin' | 'params'>): JobRow {
    const row = this.c.insertJob({ ...j, createdAt: this.p.clock.iso() });
    this.push(row.id);
    this.pump();
    return this.c.job(row.id)!;
  }

  /** Start what may start now (queue order, limits and windows: scheduler/queue.ts). Re-entrant calls fold into one more pass. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const now = this.p.clock.now();
    const hostNames = new Map(this.c.hosts().map((h) => [h.id, h.name]));
    const queued = queueJobs(this.p.queue.queued(), (id) => hostNames.get(id)!);
    const limits = { global: this.p.limits.concurrency, perHost: 1, agingSeconds: this.p.limits.agingSeconds };
    // only backups need their agent; the kind is looked up for the few jobs that could start
    const plan = planStarts(queued, [...this.running.values()], limits, now, (q) =>
      this.c.job(q.id)?.kind === 'backup' && !this.p.links.get(q.host)?.ready ? `waiting: agent of ${q.host} is not connected` : null,
    );
    for (const [id, why] of plan.waiting) {
      if (this.waitReasons.get(id) === why) continue;
      this.waitReasons.set(id, why);
      this.push(id);
    }
    for (const q of plan.start) {
      const row = this.c.job(q.id);
      if (!row || row.state !== 'queued') continue;
      this.waitReasons.delete(q.id);
      if (row.kind === 'backup') this.startBackup(row, q.host);
      else if (row.kind === 'verify') void this.runInHub(row, q.host, 'verify', this.p.runVerify);
      else void this.runInHub(row, q.host, 'restore', this.p.runRestore);
    }
  }

  /** Jobs the hub carries out itself on the store (verify, restore); progress and result as for any job. */
  private async runInHub(j: JobRow, host: string, phase: 'verify' | 'restore', task: HubTask<JobRow>): Promise<void> {
    const abort = new AbortController();
    this.begin(j, host, abort);
    try {
      this.progress(j.id, phase, 0, 0);
      await task(j, abort.signal, (done, total) => this.progress(j.id, phase, done, total));
      this.finished(j.id, null);
    } catch (e) {
      this.finished(j.id, (e as Error).message);
    }
  }

  private begin(j: JobRow, host: string, abort?: AbortController): void {
    this.running.set(j.id, { host, kind: j.kind, abort, lastBroadcast: 0, movedAt: this.p.clock.elapsed(), moved: '', samples: [], bytesWire: 0, bytesNew: 0 });
    this.c.updateJob(j.id, { state: 'running', startedAt: this.p.clock.iso() });
    this.p.live.progress.set(j.id, { phase: 'scan', doneBytes: 0, totalBytes: 0, rate: 0, etaSeconds: null });
    this.push(j.id);
  }

  private startBackup(j: JobRow, host: string): void {
    const session = this.p.links.get(host)!;
    const h = this.c.hostById(j.hostId)!;
    const all = this.c.volumesOf(h.id);
    const vols = j.volumes.length ? all.filter((v) => j.volumes.includes(v.name)) : all;
    this.begin(j, host);
    this.running.get(j.id)!.link = session;
    const missing = j.volumes.filter((n) => !all.some((v) => v.name === n));
    if (missing.length || vols.length === 0) {
      this.finished(j.id, missing.length ? `host ${host} has no volume ${missing.join(', ')}` : `agent of ${host} protects no volumes`);
      return;
    }
    session.startJob({
      jobId: j.id,
      full: j.type === 'full',
      volumes: vols.map((v) => ({ name: v.name, volumeId: v.id, basePointId: this.c.latestPointAt(v.id, session.site ?? 'primary')?.id ?? null })),
      ...(j.params.finalSync === true ? { quiesce: true } : {}),
    });
  }

  progress(jobId: number, phase: JobProgress['phase'], doneBytes: number, totalBytes: number): void {
    const r = this.running.get(jobId);
    if (!r) return;
    const t = this.p.clock.now();
    const moved = `${phase}:${doneBytes}`;
    r.finishing = r.kind !== 'backup' && totalBytes > 0 && doneBytes >= totalBytes;
    if (moved !== r.moved) {
      r.moved = moved;
      r.movedAt = this.p.clock.elapsed();
    }
    r.samples.push({ t, done: doneBytes });
    while (r.samples.length > 2 && t - r.samples[0]!.t > 5000) r.samples.shift();
    const first = r.samples[0]!;
    const rate = t > first.t && doneBytes >= first.done ? ((doneBytes - first.done) * 1000) / (t - first.t) : 0;
    const eta = rate > 0 ? Math.max(0, (totalBytes - doneBytes) / rate) : null;
    this.p.live.progress.set(jobId, { phase, doneBytes, totalBytes, rate, etaSeconds: eta === null ? null : Math.round(eta) });
    this.dirty.add(jobId);
    if (t - r.lastBroadcast > 250) {
      r.lastBroadcast = t;
      this.dirty.delete(jobId);
      this.push(jobId);
    }
  }

  /** once a second: flush throttled progress, and fail the jobs that stalled */
  tick(): void {
    for (const id of this.dirty) this.push(id);
    this.dirty.clear();
    this.failStalled();
  }

  /** The watchdog: a job whose progress has not moved for stallMs ends failed, its slot freed. */
  private failStalled(): void {
    const limit = this.p.limits.stallMs;
    if (!limit) return;
    const now = this.p.clock.elapsed();
    for (const [id, r] of [...this.running]) {
      // an agent reports no progress while it scans a volume (hours on a big disk): its link's
      // heartbeat timeout, not the watchdog, tells a dead agent there
      if (r.kind === 'backup' && r.moved.startsWith('scan:')) continue;
      // every block written: what is left (fsync, conversion by qemu-img, rename) is local and ends
      if (r.finishing) continue;
      if (now - r.movedAt < limit) continue;
      const reason = `no progress for ${Math.round((now - r.movedAt) / 1000)} s (watchdog: maintenance.stall_timeout ${Math.round(limit / 1000)} s)`;
      // a hub task stops at its abort signal and cleans up behind it; an agent's job is told to stop
      if (r.abort) r.abort.abort(new Error(reason));
      else (r.link ?? this.p.links.get(r.host))?.abortJob(reason);
      this.finished(id, reason);
    }
  }

  volumeCommitted(jobId: number, bytesNew: number, bytesWire: number): void {
    const r = this.running.get(jobId);
    if (!r) return;
    r.movedAt = this.p.clock.elapsed();
    r.bytesWire += bytesWire;
    r.bytesNew += bytesNew;
    this.c.updateJob(jobId, { bytesWire: r.bytesWire, bytesNew: r.bytesNew });
  }

  finished(jobId: number, error: string | null): void {
    const r = this.running.get(jobId);
    if (!r) return;
    this.running.delete(jobId);
    const prog = this.p.live.progress.get(jobId);
    this.p.live.progress.delete(jobId);
    const state = r.cancelled ? 'cancelled' : error ? 'failed' : 'succeeded';
    this.c.updateJob(jobId, { state, error: r.cancelled ? (r.cancelReason ?? 'cancelled by operator') : error, finishedAt: this.p.clock.iso(), bytesTotal: prog?.totalBytes ?? 0 });
    const j = this.c.job(jobId)!;
    const what = `${j.kind} job ${jobId} of ${r.host}`;
    if (state === 'succeeded') this.p.journal.event('info', `${j.kind}.succeeded`, r.host, `${what} succeeded`);
    else if (state === 'cancelled') this.p.journal.event('info', `${j.kind}.cancelled`, r.host, `${what} cancelled`);
    else this.p.journal.event('critical', `${j.kind}.failed`, r.host, `${what} failed: ${error}`);
    this.push(jobId);
    this.p.feed.pushHub();
    this.pump();
  }

  cancel(jobId: number, reason = 'cancelled by operator'): JobRow {
    const j = this.c.job(jobId)!;
    if (j.state === 'queued') {
      this.c.updateJob(jobId, { state: 'cancelled', error: reason, finishedAt: this.p.clock.iso() });
      this.waitReasons.delete(jobId);
      this.push(jobId);
    } else if (j.state === 'running') {
      const r = this.running.get(jobId)!;
      r.cancelled = true;
      r.cancelReason = reason;
      if (r.abort) r.abort.abort();
      else (r.link ?? this.p.links.get(r.host))?.abortJob(reason);
      if (this.running.has(jobId)) this.finished(jobId, reason);
    }
    return this.c.job(jobId)!;
  }

  stopAll(reason: string): void {
    for (const [id, r] of this.running) {
      r.abort?.abort();
      this.c.updateJob(id, { state: 'failed', error: reason, finishedAt: this.p.clock.iso() });
    }
    this.running.clear();
  }
}
