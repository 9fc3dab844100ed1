// Store maintenance on the hub: garbage collection (one at a time, online, progress visible),
// retention (prune) and verify jobs (run by the job runner, results kept per point).
import type { JobRow } from '../catalog/catalog.js';
import type { RetentionConfig, ScheduleConfig } from '../config/types.js';
import type { ScheduleStore } from '../catalog/schedule-store.js';
import type { DamageRepo } from '../catalog/damage-repo.js';
import type { GcReportView, MaintenanceStatusView, PruneReport, VerifyResultView } from '../protocol/maintenance.js';
import { collectGarbage, type GcProgress } from '../store/gc.js';
import type { BlockStore } from '../store/block-store.js';
import { storeProblems } from '../store/store-check.js';
import { verifyPoints } from '../store/verify.js';
import { ApiError } from './api.js';
import type { Broadcaster, Clock, HostRepo, Journal, PointRepo } from './ports.js';
import { prune, type PrunePorts } from './prune.js';
import { pointView } from './wire.js';

/** What store maintenance uses. */
export interface MaintenancePorts extends PrunePorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & { tx<T>(fn: () => T): T } & PrunePorts['catalog'];
  store: BlockStore;
  verifyResults: Pick<ScheduleStore, 'addVerifyResult' | 'verifyResults'>;
  pointMarks: Pick<DamageRepo, 'setVerified'>;
  journal: Journal;
  feed: Broadcaster;
  /** called after each gc repack commit (a crash test stops the hub there) */
  afterRepackCommit?: (commits: number) => void;
}

export class HubMaintenance {
  private gcRun: { startedAt: string; progress: GcProgress } | null = null;
  constructor(private readonly p: MaintenancePorts) {}

  /** A config reload: the retention policies prune applies from now on. */
  reconfigure(o: { schedules: readonly ScheduleConfig[]; retention: RetentionConfig | null }): void {
    this.p.schedules = o.schedules;
    this.p.retention = o.retention;
  }

  status(): MaintenanceStatusView {
    const r = this.gcRun;
    return r
      ? { task: 'gc', phase: r.progress.phase, done: r.progress.done, total: r.progress.total, startedAt: r.startedAt }
      : { task: null, phase: null, done: 0, total: 0, startedAt: null };
  }


  async gc(o: { bytesPerSecond?: number }, actor: string): Promise<GcReportView> {
    if (this.gcRun) throw new ApiError('busy', `gc is already running (since ${this.gcRun.startedAt}, ${this.gcRun.progress.phase})`);
    const run = { startedAt: this.p.clock.iso(), progress: { phase: 'mark', done: 0, total: 0 } as GcProgress };
    this.gcRun = run;
    const started = Date.now();
    try {
      const r = await collectGarbage(this.p.store, {
        bytesPerSecond: o.bytesPerSecond,
        onProgress: (p) => (run.progress = p),
        canRemoveFiles: () => this.p.store.pointsBeingRead().size === 0,
        afterRepackCommit: (n) => this.p.afterRepackCommit?.(n),
      });
      const report = { ...r, durationMs: Date.now() - started };
      this.p.journal.audit(actor, 'store.gc', null, 'ok', report);
      this.p.journal.event('info', 'store.gc', null, `gc removed ${r.chunksRemoved} chunks, repacked ${r.packsRepacked} packs, dropped ${r.packsDropped}; freed ${r.bytesFreed} bytes`);
      this.p.feed.pushHub();
      return report;
    } finally {
      this.gcRun = null;
    }
  }

  prune(o: { dryRun: boolean; now: number }, actor: string): PruneReport {
    if (this.gcRun && !o.dryRun) throw new ApiError('busy', 'gc is running; prune again when it is done');
    const report = prune(this.p, o);
    if (!o.dryRun) {
      this.p.journal.audit(actor, 'retention.prune', null, 'ok', { deleted: report.deleted, consolidated: report.consolidated, now: report.now });
      if (report.deleted.length || report.consolidated.length) {
        this.p.journal.event('info', 'retention.pruned', null, `retention deleted ${report.deleted.length} recovery point(s) and consolidated ${report.consolidated.length}`);
        this.p.feed.pushHub();
      }
    }
    return report;
  }

  /** Thinning of one continuous host right after a cycle: no audit entry per cycle; skipped while gc runs. */
  thin(host: string, now: number): number {
    if (this.gcRun) return 0;
    return prune(this.p, { dryRun: false, now, hosts: new Set([host]) }).deleted.length;
  }

  /** A verify job: every point of the job's host (its volumes, if named; its points, if listed), all chunks or a sample. */
  async runVerifyJob(j: JobRow, signal: AbortSignal, progress: (done: number, total: number) => void): Promise<void> {
    const c = this.p.catalog;
    const host = c.hostById(j.hostId)!;
    const sample = typeof j.params.sample === 'number' ? j.params.sample : 100;
    const vols = c.volumesOf(host.id).filter((v) => j.volumes.length === 0 || j.volumes.includes(v.name));
    // maintenance's spread-out verify names the points of this night
    const only = Array.isArray(j.params.pointIds) ? new Set(j.params.pointIds as unknown[]) : null;
    const points = vols.flatMap((v) => c.points(v.id).filter((p) => !only || only.has(p.id)).map((p) => ({ id: p.id, volume: v.name })));
    const checked = await verifyPoints(this.p.store, points, { samplePct: sample, signal, onProgress: progress });
    // a point retention deleted meanwhile may have lost chunks to gc: its result means nothing
    const results = checked.filter((r) => c.point(r.pointId) !== undefined);
    const now = this.p.clock.iso();
    let bad = 0;
    const firstProblems: string[] = [];
    c.tx(() => {
      for (const r of results) {
        this.p.verifyResults.addVerifyResult({ jobId: j.id, pointId: r.pointId, host: host.name, volume: r.volume, time: now, samplePct: sample, chunksChecked: r.chunksChecked, ok: r.ok, problems: r.problems });
        if (r.ok) this.p.pointMarks.setVerified(r.pointId, now, sample / 100);
        else {
          bad++;
          const p = r.problems[0];
          if (p && firstProblems.length < 3) firstProblems.push(`point ${r.pointId} volume ${p.volume}${p.block === null ? '' : ` block ${p.block}`}: ${p.message}`);
        }
      }
    });
    // the points relying on chunks this verify found damaged (or good again) are marked now
    this.p.store.damage.settle();
    for (const r of results) {
      const p = c.point(r.pointId);
      if (p) this.p.feed.broadcast({ type: 'point', point: pointView(c, p) });
    }
    if (bad > 0) throw new Error(`${bad} of ${results.length} point(s) damaged: ${firstProblems.join('; ')}`);
    // a full verify also reads the pack headers and runs the catalog's integrity check
    const store = sample >= 100 ? storeProblems(this.p.store) : [];
    if (store.length > 0) throw new Error(`store damaged: ${store.slice(0, 3).join('; ')}${store.length > 3 ? ` (and ${store.length - 3} more)` : ''}`);
  }

  verifyResults(jobIds: number[]): VerifyResultView[] {
    return jobIds.flatMap((id) => this.p.verifyResults.verifyResults(id));
  }
}
