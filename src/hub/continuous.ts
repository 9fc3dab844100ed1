// Continuous replication: hosts configured `continuous: true` get small incrementals back to
// back — the next cycle is queued as soon as the previous one ended, at most every
// `min_interval` — each a crash-consistent point. Only the qemu-dirty-bitmap tracker reads
// just what changed; a host whose agent tracks a volume with `scan` is refused (it would read
// the whole disk every few seconds), with one event naming the volume. Each continuous host's
// target RPO and cycle are kept on its live state: the host view, the rpo alarm and the RPO
// forecast read them from there (the lag is the newest point's age and the dirty backlog).
// Each committed cycle is followed by the host's thinning (not left to the nightly
// maintenance), so its catalog holds the recent points and one per hour, never a day of cycles.
import type { Catalog } from '../catalog/catalog.js';
import type { JobRunner } from './jobs.js';
import type { LiveState } from './live.js';
import type { Clock, HostRepo, Journal, PointRepo } from './ports.js';

export interface ContinuousHost {
  name: string;
  /** the RPO the cycles are meant to hold (null: the tier's) */
  rpoSeconds: number | null;
  minIntervalSeconds: number;
}

export interface ContinuousPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<Catalog, 'jobsInState'>;
  live: LiveState;
  jobs: Pick<JobRunner, 'enqueue'>;
  journal: Pick<Journal, 'event'>;
  /** apply retention and thinning to this host's points now */
  thin?: (host: string) => void;
}

export const CONTINUOUS_PRIORITY = 50;

export class ContinuousReplication {
  private readonly lastStart = new Map<string, number>();
  private readonly refused = new Set<string>();
  /** the newest point of each host when it was last thinned */
  private readonly thinnedAt = new Map<string, number>();

  constructor(
    private readonly p: ContinuousPorts,
    private readonly hosts: readonly ContinuousHost[],
  ) {
    for (const c of hosts) p.live.host(c.name).continuous = { rpoSeconds: c.rpoSeconds, minIntervalSeconds: c.minIntervalSeconds, cycleStartedAt: null, nextCycleAt: null };
  }

  /** Once a second: queue the next cycle of every continuous host that may start one. */
  tick(): void {
    if (this.hosts.length === 0) return;
    const now = this.p.clock.now();
    const busy = new Set([...this.p.catalog.jobsInState('queued'), ...this.p.catalog.jobsInState('running')].filter((j) => j.kind === 'backup').map((j) => j.hostId));
    for (const c of this.hosts) {
      const h = this.p.catalog.hostByName(c.name);
      const live = this.p.live.host(c.name);
      const state = live.continuous!;
      const last = this.lastStart.get(c.name) ?? -Infinity;
      const running = !!h && busy.has(h.id);
      state.cycleStartedAt = running && Number.isFinite(last) ? last : null;
      state.nextCycleAt = null;
      if (h && !running && !h.failedOver) this.thinAfterCycle(c.name, h.id);
      if (!h || h.revoked || h.failedOver || live.link !== 'connected' || live.trackers.size === 0) continue;
      if (!this.allowed(c.name, live.trackers)) continue;
      state.nextCycleAt = running ? now : Math.max(now, last + c.minIntervalSeconds * 1000);
      if (running || now - last < c.minIntervalSeconds * 1000) continue;
      this.lastStart.set(c.name, now);
      state.cycleStartedAt = now;
      state.nextCycleAt = now;
      this.p.jobs.enqueue({ kind: 'backup', hostId: h.id, volumes: [], type: 'incremental', priority: CONTINUOUS_PRIORITY, origin: 'continuous', params: {} });
    }
  }

  private thinAfterCycle(name: string, hostId: number): void {
    if (!this.p.thin) return;
    const newest = Math.max(0, ...this.p.catalog.volumesOf(hostId).map((v) => this.p.catalog.latestPoint(v.id)?.id ?? 0));
    if (newest === 0 || this.thinnedAt.get(name) === newest) return;
    this.thinnedAt.set(name, newest);
    this.p.thin(name);
  }

  private allowed(host: string, trackers: ReadonlyMap<string, string>): boolean {
    const scan = [...trackers].filter(([, kind]) => kind !== 'qemu-dirty-bitmap').map(([volume]) => volume);
    if (scan.length === 0) {
      this.refused.delete(host);
      return true;
    }
    if (!this.refused.has(host)) {
      this.refused.add(host);
      this.p.journal.event('warning', 'continuous.refused', host, `host ${host}: continuous replication refused: volume ${scan.join(', ')} uses the scan tracker, which reads the whole disk every cycle (use --tracker qemu-dirty-bitmap)`);
    }
    return false;
  }
}
