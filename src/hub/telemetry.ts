// What the hub knows about each host's resources and link, besides backups: the newest
// resource sample (history goes to the metric store), round-trip latency from ping/pong,
// bandwidth measured from block transfers, and how fast the changed-block backlog grows.
import type { ResourceFacts } from '../alarms/types.js';
import type { MetricStore } from '../catalog/metric-store.js';
import type { AgentMessageOf } from '../protocol/agent.js';
import type { HostMetricsView, LinkHealthView } from '../protocol/operator.js';

/** A sample older than this is stale: resource rules then neither fire nor resolve. */
export const STALE_SAMPLE_MS = 30_000;
export const DEGRADED_LATENCY_MS = 500;
const PONG_LATE_MS = 15_000;
/** transfers shorter or smaller than this say little about the link */
const MIN_TRANSFER_MS = 500;
const MIN_TRANSFER_BYTES = 256 * 1024;
const EWMA = 0.5;

interface Link {
  latencyMs: number | null;
  lastPong: number | null;
  bandwidthBps: number | null;
  transfer: { start: number; last: number; bytes: number } | null;
}

interface Backlog {
  bytes: number;
  time: number;
  /** null until two bitmaps measured a growth */
  rateBps: number | null;
}

const percent = (used: number, total: number): number => (total > 0 ? Math.round((used * 1000) / total) / 10 : 0);
const ewma = (old: number | null, v: number): number => (old === null ? v : old * (1 - EWMA) + v * EWMA);

export class HostTelemetry {
  private latest = new Map<string, HostMetricsView & { t: number }>();
  private links = new Map<string, Link>();
  private backlogs = new Map<string, Map<string, Backlog>>();

  constructor(
    private readonly store: MetricStore,
    private readonly now: () => number,
  ) {}

  private link(host: string): Link {
    let l = this.links.get(host);
    if (!l) {
      l = { latencyMs: null, lastPong: null, bandwidthBps: null, transfer: null };
      this.links.set(host, l);
    }
    return l;
  }

  onSample(host: string, m: AgentMessageOf<'metrics'>): HostMetricsView {
    const t = this.now();
    const view: HostMetricsView = {
      time: new Date(t).toISOString(),
      cpu: m.cpu,
      memoryPercent: percent(m.memory.usedBytes, m.memory.totalBytes),
      memoryUsedBytes: m.memory.usedBytes,
      memoryTotalBytes: m.memory.totalBytes,
      disks: m.disks.map((d) => ({ ...d, percent: percent(d.usedBytes, d.totalBytes) })),
      processes: m.processes,
      netRxBytesPerSec: m.net.rxBytesPerSec,
      netTxBytesPerSec: m.net.txBytesPerSec,
    };
    this.latest.set(host, { ...view, t });
    const values: [string, number][] = [
      ['cpu', view.cpu],
      ['memory', view.memoryPercent],
      ['disk', Math.max(0, ...view.disks.map((d) => d.percent))],
      ['net_rx', view.netRxBytesPerSec],
      ['net_tx', view.netTxBytesPerSec],
      ...view.disks.map((d): [string, number] => [`disk:${d.mount}`, d.percent]),
      ...view.processes.map((p): [string, number] => [`process:${p.name}`, p.count]),
    ];
    this.store.add(host, t, values);
    return view;
  }

  metrics(host: string): HostMetricsView | null {
    const m = this.latest.get(host);
    if (!m) return null;
    const { t: _t, ...view } = m;
    return view;
  }

  resources(host: string): ResourceFacts | null {
    const m = this.latest.get(host);
    if (!m || this.now() - m.t > STALE_SAMPLE_MS) return null;
    return {
      time: m.t,
      cpu: m.cpu,
      memory: m.memoryPercent,
      disks: m.disks.map((d) => ({ mount: d.mount, percent: d.percent })),
      processes: new Map(m.processes.map((p) => [p.name, p.count])),
    };
  }

  onPong(host: string, sentAt: number): void {
    const t = this.now();
    const rtt = Math.max(0, t - sentAt);
    const l = this.link(host);
    l.latencyMs = rtt;
    l.lastPong = t;
    this.store.add(host, t, [['link_latency', rtt]]);
  }

  onBytes(host: string, n: number): void {
    const t = this.now();
    const l = this.link(host);
    if (!l.transfer || t - l.transfer.last > 5000) l.transfer = { start: t, last: t, bytes: 0 };
    l.transfer.bytes += n;
    l.transfer.last = t;
  }

  /** A volume's blocks are all in: its transfer measures the link. */
  onTransferEnd(host: string): void {
    const l = this.link(host);
    const x = l.transfer;
    l.transfer = null;
    if (!x) return;
    const ms = x.last - x.start;
    if (ms < MIN_TRANSFER_MS || x.bytes < MIN_TRANSFER_BYTES) return;
    const bps = (x.bytes * 1000) / ms;
    l.bandwidthBps = ewma(l.bandwidthBps, bps);
    this.store.add(host, this.now(), [['bandwidth', bps]]);
  }

  /** A fresh dirty bitmap of a volume: the growth since the previous one is the change rate. */
  onBacklog(host: string, volume: string, bytes: number): void {
    const t = this.now();
    let vols = this.backlogs.get(host);
    if (!vols) this.backlogs.set(host, (vols = new Map()));
    const prev = vols.get(volume);
    let rate = prev?.rateBps ?? null;
    if (prev && t > prev.time && bytes >= prev.bytes) rate = ewma(prev.rateBps, ((bytes - prev.bytes) * 1000) / (t - prev.time));
    vols.set(volume, { bytes, time: t, rateBps: rate });
  }

  /** A point was committed: the backlog starts again from zero (the rate is kept). */
  onCommitted(host: string, volume: string): void {
    const b = this.backlogs.get(host)?.get(volume);
    if (b) Object.assign(b, { bytes: 0, time: this.now() });
  }

  changeRateBps(host: string): number {
    let sum = 0;
    for (const b of this.backlogs.get(host)?.values() ?? []) sum += b.rateBps ?? 0;
    return sum;
  }

  linkHealth(host: string, connected: boolean): LinkHealthView {
    const l = this.links.get(host);
    const lastPong = l?.lastPong ?? null;
    let state: LinkHealthView['state'] = 'unknown';
    if (!connected) state = 'down';
    else if (lastPong !== null) {
      const late = this.now() - lastPong > PONG_LATE_MS;
      state = late || (l!.latencyMs ?? 0) > DEGRADED_LATENCY_MS ? 'degraded' : 'good';
    }
    return {
      latencyMs: l?.latencyMs ?? null,
      bandwidthBps: l?.bandwidthBps ?? null,
      lastPong: lastPong === null ? null : new Date(lastPong).toISOString(),
      state,
    };
  }
}
