// In-memory state of the hub that is not in the catalog: agent links, dirty bitmaps,
// throughput samples, job progress.
import type { AgentSite, DirtyBitmapView, JobProgress, LinkState, ThroughputSample } from '../protocol/operator.js';

export interface HostLive {
  link: LinkState;
  lastSeen: number | null;
  agentVersion: string | null;
  /** each volume's changed-block tracker, as the agent's hello said */
  trackers: Map<string, string>;
  dirty: Map<string, DirtyBitmapView>;
  /** bytes received in the current 10 s bucket, and past buckets */
  bucketBytes: number;
  buckets: number[];
  /** continuous replication's target and cycle (set by continuous.ts); null when the host is not continuous */
  continuous: { rpoSeconds: number | null; minIntervalSeconds: number; cycleStartedAt: number | null; nextCycleAt: number | null } | null;
  /** the connected agents by site (primary, and the DR site's on the recovered image) */
  sites: Map<AgentSite, { version: string; remote: string; since: string }>;
}

export const THROUGHPUT_WINDOW_S = 15 * 60;
export const HOST_BUCKETS = 60;

export class LiveState {
  readonly hosts = new Map<string, HostLive>();
  readonly progress = new Map<number, JobProgress>();
  readonly throughput: ThroughputSample[] = [];
  private secondBytes = 0;

  host(name: string): HostLive {
    let h = this.hosts.get(name);
    if (!h) {
      h = { link: 'never', lastSeen: null, agentVersion: null, trackers: new Map(), dirty: new Map(), bucketBytes: 0, buckets: [], continuous: null, sites: new Map() };
      this.hosts.set(name, h);
    }
    return h;
  }

  addBytes(host: string, n: number): void {
    this.host(host).bucketBytes += n;
    this.secondBytes += n;
  }

  /** called once a second: closes the aggregate sample */
  tickSecond(nowMs: number): ThroughputSample {
    const sample = { time: new Date(Math.floor(nowMs / 1000) * 1000).toISOString(), bytesPerSec: this.secondBytes };
    this.secondBytes = 0;
    this.throughput.push(sample);
    if (this.throughput.length > THROUGHPUT_WINDOW_S) this.throughput.splice(0, this.throughput.length - THROUGHPUT_WINDOW_S);
    return sample;
  }

  /** called every 10 s: closes the per-host buckets; returns hosts whose series changed */
  tickBucket(): string[] {
    const changed: string[] = [];
    for (const [name, h] of this.hosts) {
      const rate = h.bucketBytes / 10;
      if (rate > 0 || (h.buckets.length > 0 && h.buckets[h.buckets.length - 1] !== 0)) changed.push(name);
      h.buckets.push(rate);
      if (h.buckets.length > HOST_BUCKETS) h.buckets.shift();
      h.bucketBytes = 0;
    }
    return changed;
  }
}
