// The job runner: a queue ordered by priority, global and per-host concurrency limits,
// backups handed to agents, restores run in the hub; progress, cancel, retry.
import type { JobRow } from '../catalog/catalog.js';
import type { JobProgress, JobView } from '../protocol/operator.js';
import { DEFAULT_AGING_SECONDS, planStarts } from '../scheduler/queue.js';
import { restoreVolume, type ImageFormat } from '../store/restore.js';
import type { Hub } from './hub.js';
import { QueueStore } from '../catalog/queue-store.js';
import { queueJobs } from './job-queue.js';
import { jobView } from './wire.js';

interface Running {
  host: string;
  kind: JobRow['kind'];
  abort?: AbortController;
  cancelled?: boolean;
  /** why it was cancelled, when not by an operator (a schedule's window closed) */
  cancelReason?: string;
  lastBroadcast: number;
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
  private readonly queue: QueueStore;

  constructor(private readonly hub: Hub) {
    this.queue = new QueueStore(hub.catalog.db);
  }

  /** After a restart: jobs that were running did not finish. */
  recover(): void {
    for (const j of this.hub.catalog.jobsInState('running')) {
      this.hub.catalog.updateJob(j.id, { state: 'failed', error: 'hub restarted during the job', finishedAt: this.hub.iso() });
    }
  }

  hostOf(jobId: number): string {
    return this.running.get(jobId)?.host ?? this.hub.catalog.hostById(this.hub.catalog.job(jobId)!.hostId)!.name;
  }

  view(j: JobRow): JobView {
    return jobView(this.hub.catalog, this.hub.live, j, this.waitReasons.get(j.id) ?? null);
  }

  views(): JobView[] {
    return this.hub.catalog.recentJobs(300).map((j) => this.view(j));
  }

  push(id: number): void {
    const j = this.hub.catalog.job(id);
    if (j) this.hub.broadcast({ type: 'job', job: this.view(j) });
  }

  enqueue(j: Pick<JobRow, 'kind' | 'hostId' | 'volumes' | 'type' | 'priority' | 'origin' | 'params'>): JobRow {
    const row = this.hub.catalog.insertJob({ ...j, createdAt: this.hub.iso() });
    this.push(row.id);
    this.pump();
    return this.hub.catalog.job(row.id)!;
  }

  private limit(): number {
    return this.hub.o.concurrency ?? 4;
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
    const now = this.hub.now();
    const hostNames = new Map(this.hub.catalog.hosts().map((h) => [h.id, h.name]));
    const queued = queueJobs(this.queue.queued(), (id) => hostNames.get(id)!);
    const limits = { global: this.limit(), perHost: 1, agingSeconds: this.hub.o.agingSeconds ?? DEFAULT_AGING_SECONDS };
    // only backups need their agent; the kind is looked up for the few jobs that could start
    const plan = planStarts(queued, [...this.running.values()], limits, now, (q) =>
      this.hub.catalog.job(q.id)?.kind === 'backup' && !this.hub.sessions.get(q.host)?.ready ? `waiting: agent of ${q.host} is not connected` : null,
    );
    for (const [id, why] of plan.waiting) {
      if (this.waitReasons.get(id) === why) continue;
      this.waitReasons.set(id, why);
      this.push(id);
    }
    for (const q of plan.start) {
      const row = this.hub.catalog.job(q.id);
      if (!row || row.state !== 'queued') continue;
      this.waitReasons.delete(q.id);
      if (row.kind === 'backup') this.startBackup(row, q.host);
      else if (row.kind === 'verify') void this.runInHub(row, q.host);
      else void this.runRestore(row, q.host);
    }
  }

  /** Jobs the hub carries out itself on the store (verify); progress and result as for any job. */
  private async runInHub(j: JobRow, host: string): Promise<void> {
    const abort = new AbortController();
    this.begin(j, host, abort);
    try {
      this.progress(j.id, 'verify', 0, 0);
      await this.hub.maintenance.runVerifyJob(j, abort.signal, (done, total) => this.progress(j.id, 'verify', done, total));
      this.finished(j.id, null);
    } catch (e) {
      this.finished(j.id, (e as Error).message);
    }
  }

  private begin(j: JobRow, host: string, abort?: AbortController): void {
    this.running.set(j.id, { host, kind: j.kind, abort, lastBroadcast: 0, samples: [], bytesWire: 0, bytesNew: 0 });
    this.hub.catalog.updateJob(j.id, { state: 'running', startedAt: this.hub.iso() });
    this.hub.live.progress.set(j.id, { phase: 'scan', doneBytes: 0, totalBytes: 0, rate: 0, etaSeconds: null });
    this.push(j.id);
  }

  private startBackup(j: JobRow, host: string): void {
    const session = this.hub.sessions.get(host)!;
    const h = this.hub.catalog.hostById(j.hostId)!;
    const all = this.hub.catalog.volumesOf(h.id);
    const vols = j.volumes.length ? all.filter((v) => j.volumes.includes(v.name)) : all;
    this.begin(j, host);
    const missing = j.volumes.filter((n) => !all.some((v) => v.name === n));
    if (missing.length || vols.length === 0) {
      this.finished(j.id, missing.length ? `host ${host} has no volume ${missing.join(', ')}` : `agent of ${host} protects no volumes`);
      return;
    }
    session.startJob({
      jobId: j.id,
      full: j.type === 'full',
      volumes: vols.map((v) => ({ name: v.name, volumeId: v.id, basePointId: this.hub.catalog.latestPoint(v.id)?.id ?? null })),
    });
  }

  private async runRestore(j: JobRow, host: string): Promise<void> {
    const abort = new AbortController();
    this.begin(j, host, abort);
    const p = j.params as { pointId: number; volume: string; to: string; format: ImageFormat; sync?: boolean };
    try {
      this.progress(j.id, 'restore', 0, 0);
      await restoreVolume(this.hub.store, p.pointId, p.volume, p.to, {
        format: p.format,
        sync: p.sync ?? true,
        signal: abort.signal,
        onProgress: (r) => this.progress(j.id, 'restore', r.doneBytes, r.totalBytes),
      });
      this.finished(j.id, null);
    } catch (e) {
      this.finished(j.id, (e as Error).message);
    }
  }

  progress(jobId: number, phase: JobProgress['phase'], doneBytes: number, totalBytes: number): void {
    const r = this.running.get(jobId);
    if (!r) return;
    const t = this.hub.now();
    r.samples.push({ t, done: doneBytes });
    while (r.samples.length > 2 && t - r.samples[0]!.t > 5000) r.samples.shift();
    const first = r.samples[0]!;
    const rate = t > first.t && doneBytes >= first.done ? ((doneBytes - first.done) * 1000) / (t - first.t) : 0;
    const eta = rate > 0 ? Math.max(0, (totalBytes - doneBytes) / rate) : null;
    this.hub.live.progress.set(jobId, { phase, doneBytes, totalBytes, rate, etaSeconds: eta === null ? null : Math.round(eta) });
    this.dirty.add(jobId);
    if (t - r.lastBroadcast > 250) {
      r.lastBroadcast = t;
      this.dirty.delete(jobId);
      this.push(jobId);
    }
  }

  /** once a second: flush throttled progress */
  tick(): void {
    for (const id of this.dirty) this.push(id);
    this.dirty.clear();
  }

  volumeCommitted(jobId: number, pointId: number, bytesWire: number): void {
    const r = this.running.get(jobId);
    if (!r) return;
    r.bytesWire += bytesWire;
    r.bytesNew += this.hub.catalog.point(pointId)!.bytesNew;
    this.hub.catalog.updateJob(jobId, { bytesWire: r.bytesWire, bytesNew: r.bytesNew });
  }

  finished(jobId: number, error: string | null): void {
    const r = this.running.get(jobId);
    if (!r) return;
    this.running.delete(jobId);
    const prog = this.hub.live.progress.get(jobId);
    this.hub.live.progress.delete(jobId);
    const state = r.cancelled ? 'cancelled' : error ? 'failed' : 'succeeded';
    this.hub.catalog.updateJob(jobId, { state, error: r.cancelled ? (r.cancelReason ?? 'cancelled by operator') : error, finishedAt: this.hub.iso(), bytesTotal: prog?.totalBytes ?? 0 });
    const j = this.hub.catalog.job(jobId)!;
    const what = `${j.kind} job ${jobId} of ${r.host}`;
    if (state === 'succeeded') this.hub.event('info', `${j.kind}.succeeded`, r.host, `${what} succeeded`);
    else if (state === 'cancelled') this.hub.event('info', `${j.kind}.cancelled`, r.host, `${what} cancelled`);
    else this.hub.event('critical', `${j.kind}.failed`, r.host, `${what} failed: ${error}`);
    this.push(jobId);
    this.hub.broadcast({ type: 'hub', hub: this.hub.hubView() });
    this.pump();
  }

  cancel(jobId: number, reason = 'cancelled by operator'): JobRow {
    const j = this.hub.catalog.job(jobId)!;
    if (j.state === 'queued') {
      this.hub.catalog.updateJob(jobId, { state: 'cancelled', error: reason, finishedAt: this.hub.iso() });
      this.waitReasons.delete(jobId);
      this.push(jobId);
    } else if (j.state === 'running') {
      const r = this.running.get(jobId)!;
      r.cancelled = true;
      r.cancelReason = reason;
      if (r.abort) r.abort.abort();
      else this.hub.sessions.get(r.host)?.abortJob(reason);
      if (this.running.has(jobId)) this.finished(jobId, reason);
    }
    return this.hub.catalog.job(jobId)!;
  }

  stopAll(reason: string): void {
    for (const [id, r] of this.running) {
      r.abort?.abort();
      this.hub.catalog.updateJob(id, { state: 'failed', error: reason, finishedAt: this.hub.iso() });
    }
    this.running.clear();
  }
}
