// Monitoring on the hub, besides backups: agent telemetry (resource samples, link pings,
// transfer bandwidth, backlog growth), the alarm service fed by it and by hub events, and the
// periodic work both need. (The daily inspection report is daily-inspection.ts.)
import type { AlarmService } from '../alarms/service.js';
import type { AlarmEventData } from '../alarms/events.js';
import type { CertificateFacts } from '../alarms/types.js';
import type { MetricStore } from '../catalog/metric-store.js';
import type { TokenExpiryRepo } from '../catalog/token-expiry-repo.js';
import type { AgentMessageOf } from '../protocol/agent.js';
import type { AlarmView, EventView, TierView } from '../protocol/operator.js';
import { certificateFacts, gatherFacts, type FactSources } from './facts.js';
import type { LiveState } from './live.js';
import type { AgentLink, AgentLinks, Broadcaster, Clock, HostRepo, Journal } from './ports.js';
import { HostTelemetry } from './telemetry.js';

/** What monitoring uses: the alarm service and metric history are built by the hub and passed in. */
export interface MonitoringPorts {
  clock: Clock;
  catalog: HostRepo;
  facts: Pick<FactSources, 'jobStats' | 'pointStats' | 'nextRuns'>;
  tokens: TokenExpiryRepo;
  metrics: MetricStore;
  alarms: AlarmService;
  links: AgentLinks;
  live: LiveState;
  journal: Pick<Journal, 'event'>;
  feed: Pick<Broadcaster, 'broadcast'>;
  tiers: TierView[];
  /** the hub's TLS certificate file, watched for expiry */
  tlsCert?: string;
}

/** An agent link as monitoring sees it, with the backup it runs (if any). */
type MonitoredLink = Pick<AgentLink, 'host' | 'send'> & { job: { jobId: number; full: boolean; volumes: { name: string; basePointId: number | null }[] } | null };

/** Seconds between agent resource samples, asked of every agent on connect. */
export const METRICS_INTERVAL_MS = 5000;
const EVALUATE_EVERY_S = 2;
const PING_EVERY_S = 5;
const PRUNE_EVERY_S = 600;
/** metric history: one of twelve slices of the hosts is written every 5 s, each host once a minute (metric-store.ts) */
const FLUSH_EVERY_S = 5;
export const METRIC_FLUSH_PARTS = 12;

export class HubMonitoring {
  readonly metrics: MetricStore;
  readonly telemetry: HostTelemetry;
  readonly alarms: AlarmService;
  private certs: CertificateFacts[] = [];
  private seconds = 0;
  private pingId = 0;

  constructor(private readonly p: MonitoringPorts) {
    this.metrics = p.metrics;
    this.telemetry = new HostTelemetry(this.metrics, p.clock.now);
    this.alarms = p.alarms;
  }

  start(): void {
    this.certs = certificateFacts(this.p.tlsCert);
    this.metrics.prune(this.p.clock.now());
  }

  stop(): void {
    this.alarms.stop();
  }

  /** The last samples, written as the hub closes the catalog: agents are heard until then. */
  close(): void {
    this.metrics.flush();
  }

  certificates(): CertificateFacts[] {
    return this.certs;
  }

  connected(host: string): boolean {
    return this.p.links.anyReady(host);
  }

  backlogBytes(host: string): number {
    let n = 0;
    for (const d of this.p.live.host(host).dirty.values()) n += d.dirtyBytes;
    return n;
  }

  /** Token expiry of a host (migration 3's hosts.token_expires_at); null = never. */
  setTokenExpiry(hostId: number, seconds: number | null): void {
    this.p.tokens.set(hostId, seconds === null ? null : new Date(this.p.clock.now() + seconds * 1000).toISOString());
  }

  tokenExpired(hostId: number): boolean {
    const t = this.p.tokens.expiresAt(hostId);
    return t !== null && Date.parse(t) <= this.p.clock.now();
  }

  /** Every hub event passes here: event rules fire or clear. */
  onEvent(e: EventView, data: object): void {
    this.alarms.onHubEvent(e.kind, e.host, e.message, data as AlarmEventData);
  }

  /** Once a second, from the hub's clock tick. */
  tick(): void {
    this.seconds++;
    const now = this.p.clock.now();
    if (this.seconds % PING_EVERY_S === 0) {
      for (const s of this.p.links.values()) if (s.ready) s.send({ type: 'ping', id: ++this.pingId, time: now });
    }
    if (this.seconds % EVALUATE_EVERY_S === 0) this.evaluate();
    if (this.seconds % FLUSH_EVERY_S === 0) this.metrics.flush(this.seconds / FLUSH_EVERY_S);
    if (this.seconds % PRUNE_EVERY_S === 0) this.metrics.prune(now);
  }

  evaluate(): void {
    const facts = gatherFacts(
      {
        catalog: this.p.catalog,
        ...this.p.facts,
        tokens: this.p.tokens,
        tiers: this.p.tiers,
        telemetry: this.telemetry,
        connected: (h) => this.connected(h),
        backlogBytes: (h) => this.backlogBytes(h),
        continuous: (h) => this.p.live.hosts.get(h)?.continuous ?? null,
      },
      this.p.clock.now(),
      this.certs,
    );
    this.alarms.evaluate(facts);
  }

  /** An agent said hello: tell it what to sample. */
  onHello(s: Pick<AgentLink, 'host' | 'send'>): void {
    const h = this.p.catalog.hostByName(s.host);
    const processes = h ? this.alarms.evaluator.watchedProcesses(h) : [];
    s.send({ type: 'watch', processes, intervalMs: METRICS_INTERVAL_MS });
  }

  onMetrics(s: MonitoredLink, m: AgentMessageOf<'metrics'>): void {
    const metrics = this.telemetry.onSample(s.host, m);
    this.p.feed.broadcast({ type: 'metrics', host: s.host, metrics, link: this.telemetry.linkHealth(s.host, true) });
  }

  onPong(s: MonitoredLink, m: AgentMessageOf<'pong'>): void {
    this.telemetry.onPong(s.host, m.time);
  }

  /** A bitmap for a job: a full one where an incremental was asked means the agent lost its base. */
  onBitmap(s: MonitoredLink, m: AgentMessageOf<'bitmap'>, dirtyBytes: number): void {
    this.telemetry.onBacklog(s.host, m.volume, dirtyBytes);
    const job = s.job;
    const spec = job?.volumes.find((v) => v.name === m.volume);
    if (m.jobId !== undefined && job && !job.full && m.mode === 'full' && spec && spec.basePointId !== null) {
      this.p.journal.event('warning', 'bitmap.invalidated', s.host, `host ${s.host} volume ${m.volume}: changed-block tracking lost its base; full resync`, { volume: m.volume, job: job.jobId });
    }
  }

  onBytes(s: MonitoredLink, n: number): void {
    this.telemetry.onBytes(s.host, n);
  }

  onVolumeCommitted(host: string, volume: string): void {
    this.telemetry.onTransferEnd(host);
    this.telemetry.onCommitted(host, volume);
  }

  snapshotAlarms(): AlarmView[] {
    return this.alarms.recent();
  }
}
