// The job runner: a queue ordered by priority, global and per-host concurrency limits,
// backups handed to agents, restores run in the hub; progress, cancel, retry.
import type { JobRow } from '../catalog/catalog.js';
import type { JobProgress, JobView } from '../protocol/operator.js';
import { restoreVolume, type ImageFormat } from '../store/restore.js';
import type { Hub } from './hub.js';
import { jobView } from './views.js';

interface Running {
  host: string;
  kind: JobRow['kind'];
  abort?: AbortController;
  cancelled?: boolean;
  lastBroadcast: number;
  samples: { t: number; done: number }[];
  bytesWire: number;
  bytesNew: number;
}

export class JobRunner {
  private running = new Map<number, Running>();
  private waitReasons = new Map<number, string>();
  private dirty = new Set<number>();

  constructor(private readonly hub: Hub) {}

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

  pump(): void {
    const queued = this.hub.catalog.jobsInState('queued').sort((a, b) => b.priority - a.priority || a.id - b.id);
    const busyHosts = new Set([...this.running.values()].map((r) => r.host));
    for (const j of queued) {
      const host = this.hub.catalog.hostById(j.hostId)!;
      let why: string | null = null;
      if (this.running.size >= this.limit()) why = `waiting: concurrency limit ${this.limit()} reached`;
      else if (busyHosts.has(host.name)) why = `waiting: host ${host.name} is busy with another job`;
      else if (j.kind === 'backup' && !this.hub.sessions.get(host.name)?.ready) why = `waiting: agent of ${host.name} is not connected`;
      if (why) {
        if (this.waitReasons.get(j.id) !== why) {
          this.waitReasons.set(j.id, why);
          this.push(j.id);
        }
        continue;
      }
      this.waitReasons.delete(j.id);
      busyHosts.add(host.name);
      if (j.kind === 'backup') this.startBackup(j, host.name);
      else void this.runRestore(j, host.name);
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
    this.hub.catalog.updateJob(jobId, { state, error: r.cancelled ? 'cancelled by operator' : error, finishedAt: this.hub.iso(), bytesTotal: prog?.totalBytes ?? 0 });
    const j = this.hub.catalog.job(jobId)!;
    const what = `${j.kind} job ${jobId} of ${r.host}`;
    if (state === 'succeeded') this.hub.event('info', `${j.kind}.succeeded`, r.host, `${what} succeeded`);
    else if (state === 'cancelled') this.hub.event('info', `${j.kind}.cancelled`, r.host, `${what} cancelled`);
    else this.hub.event('critical', j.kind === 'backup' ? 'backup.failed' : 'restore.failed', r.host, `${what} failed: ${error}`);
    this.push(jobId);
    this.hub.broadcast({ type: 'hub', hub: this.hub.hubView() });
    this.pump();
  }

  cancel(jobId: number): JobRow {
    const j = this.hub.catalog.job(jobId)!;
    if (j.state === 'queued') {
      this.hub.catalog.updateJob(jobId, { state: 'cancelled', error: 'cancelled by operator', finishedAt: this.hub.iso() });
      this.waitReasons.delete(jobId);
      this.push(jobId);
    } else if (j.state === 'running') {
      const r = this.running.get(jobId)!;
      r.cancelled = true;
      if (r.abort) r.abort.abort();
      else this.hub.sessions.get(r.host)?.abortJob('cancelled by operator');
      if (this.running.has(jobId)) this.finished(jobId, 'cancelled by operator');
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
