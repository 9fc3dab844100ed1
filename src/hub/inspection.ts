// The hub's eyes besides backups: agent telemetry (resource samples, link pings, transfer
// bandwidth, backlog growth), the alarm service fed by it and by hub events, and the
// periodic work both need. hub.ts calls in at a handful of points.
import { AlarmService } from '../alarms/service.js';
import type { CertificateFacts } from '../alarms/types.js';
import { MetricStore } from '../catalog/metric-store.js';
import type { AgentMessageOf } from '../protocol/agent.js';
import type { AlarmView, EventView } from '../protocol/operator.js';
import type { AgentSession } from './agent-session.js';
import { certificateFacts, gatherFacts } from './facts.js';
import type { Hub } from './hub.js';
import { HostTelemetry } from './telemetry.js';

/** Seconds between agent resource samples, asked of every agent on connect. */
export const METRICS_INTERVAL_MS = 5000;
const EVALUATE_EVERY_S = 2;
const PING_EVERY_S = 5;
const PRUNE_EVERY_S = 600;
/** metric history: one of twelve slices of the hosts is written every 5 s, each host once a minute (metric-store.ts) */
const FLUSH_EVERY_S = 5;
const FLUSH_PARTS = 12;

export class HubInspection {
  readonly metrics: MetricStore;
  readonly telemetry: HostTelemetry;
  readonly alarms: AlarmService;
  private certs: CertificateFacts[] = [];
  private seconds = 0;
  private pingId = 0;

  constructor(private readonly hub: Hub) {
    this.metrics = new MetricStore(hub.catalog.db, FLUSH_PARTS);
    this.telemetry = new HostTelemetry(this.metrics, hub.now);
    this.alarms = new AlarmService({
      db: hub.catalog.db,
      rules: hub.o.alarms ?? [],
      channels: hub.o.channels ?? [],
      hubName: hub.o.name,
      clock: hub.now,
      host: (name) => hub.catalog.hostByName(name) ?? null,
      audit: (actor, action, target, outcome, details) => hub.audit(actor, action, target, outcome, details),
      broadcast: (u) => hub.broadcast(u),
      log: (level, message) => hub.o.log(level, message),
    });
  }

  start(): void {
    this.certs = certificateFacts(this.hub.o.tls?.cert);
    this.metrics.prune(this.hub.now());
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
    return this.hub.sessions.get(host)?.ready === true;
  }

  backlogBytes(host: string): number {
    let n = 0;
    for (const d of this.hub.live.host(host).dirty.values()) n += d.dirtyBytes;
    return n;
  }

  /** Token expiry of a host (migration 3's hosts.token_expires_at); null = never. */
  setTokenExpiry(hostId: number, seconds: number | null): void {
    const at = seconds === null ? null : new Date(this.hub.now() + seconds * 1000).toISOString();
    this.hub.catalog.db.prepare('UPDATE hosts SET token_expires_at = ? WHERE id = ?').run(at, hostId);
  }

  tokenExpired(hostId: number): boolean {
    const r = this.hub.catalog.db.prepare('SELECT token_expires_at AS t FROM hosts WHERE id = ?').get(hostId) as { t: string | null } | undefined;
    return !!r?.t && Date.parse(r.t) <= this.hub.now();
  }

  /** Every hub event passes here: event rules fire or clear. */
  onEvent(e: EventView, data: object): void {
    this.alarms.onHubEvent(e.kind, e.host, e.message, data as { closeCode?: number });
  }

  /** Once a second, from the hub's clock tick. */
  tick(): void {
    this.seconds++;
    const now = this.hub.now();
    if (this.seconds % PING_EVERY_S === 0) {
      for (const s of this.hub.sessions.values()) if (s.ready) s.send({ type: 'ping', id: ++this.pingId, time: now });
    }
    if (this.seconds % EVALUATE_EVERY_S === 0) this.evaluate();
    if (this.seconds % FLUSH_EVERY_S === 0) this.metrics.flush(this.seconds / FLUSH_EVERY_S);
    if (this.seconds % PRUNE_EVERY_S === 0) this.metrics.prune(now);
  }

  evaluate(): void {
    const facts = gatherFacts(
      { catalog: this.hub.catalog, tiers: this.hub.o.tiers, telemetry: this.telemetry, connected: (h) => this.connected(h), backlogBytes: (h) => this.backlogBytes(h), nextRuns: () => this.hub.scheduler.nextRuns() },
      this.hub.now(),
      this.certs,
    );
    this.alarms.evaluate(facts);
  }

  /** An agent said hello: tell it what to sample. */
  onHello(s: AgentSession): void {
    const h = this.hub.catalog.hostByName(s.host);
    const processes = h ? this.alarms.evaluator.watchedProcesses(h) : [];
    s.send({ type: 'watch', processes, intervalMs: METRICS_INTERVAL_MS });
  }

  onMetrics(s: AgentSession, m: AgentMessageOf<'metrics'>): void {
    const metrics = this.telemetry.onSample(s.host, m);
    this.hub.broadcast({ type: 'metrics', host: s.host, metrics, link: this.telemetry.linkHealth(s.host, true) });
  }

  onPong(s: AgentSession, m: AgentMessageOf<'pong'>): void {
    this.telemetry.onPong(s.host, m.time);
  }

  /** A bitmap for a job: a full one where an incremental was asked means the agent lost its base. */
  onBitmap(s: AgentSession, m: AgentMessageOf<'bitmap'>, dirtyBytes: number): void {
    this.telemetry.onBacklog(s.host, m.volume, dirtyBytes);
    const job = s.job;
    const spec = job?.volumes.find((v) => v.name === m.volume);
    if (m.jobId !== undefined && job && !job.full && m.mode === 'full' && spec && spec.basePointId !== null) {
      this.hub.event('warning', 'bitmap.invalidated', s.host, `host ${s.host} volume ${m.volume}: changed-block tracking lost its base; full resync`, { volume: m.volume, job: job.jobId });
    }
  }

  onBytes(s: AgentSession, n: number): void {
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
