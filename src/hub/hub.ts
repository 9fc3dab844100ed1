// `drc serve`: the composition root. Owns the catalog, the store, the agents' gateway,
// the operators' API, the job runner and the live state.
import fs from 'node:fs';
import path from 'node:path';
import type { WebSocket } from 'ws';
import type { LogFn } from '../../agent/log.js';
import { Catalog, type JobRow } from '../catalog/catalog.js';
import type { RetentionConfig, ScheduleConfig } from '../config/types.js';
import type { AlarmRuleConfig, ChannelConfig } from '../config/types.js';
import type { AgentMessageOf } from '../protocol/agent.js';
import { CLOSE, type ProtocolError } from '../protocol/errors.js';
import type { EventView, HubView, Level, Snapshot, TierView, Update } from '../protocol/operator.js';
import { BlockStore } from '../store/block-store.js';
import { openHubStore, stagingFor, type OpenedStore } from '../store/hub-store.js';
import { defaultStore } from '../config/defaults.js';
import type { CopyConfig, StoreConfig } from '../config/types.js';
import { AgentSession, type SessionHost, type SessionJob } from './agent-session.js';
import { OperatorApi } from './api.js';
import { Gateway } from './gateway.js';
import { HubHttp } from './http.js';
import { HubInspection } from './inspection.js';
import { recoveryServiceOf, type HubRecoveryOptions } from './recovery-link.js';
import type { RecoveryService } from '../recovery/service.js';
import { JobRunner } from './jobs.js';
import { HubMaintenance } from './maintenance.js';
import { HubScheduler } from './schedules.js';
import { HubCopies } from './copies.js';
import { storeView } from './storage-requests.js';
import { LiveState } from './live.js';
import { metricsText } from './metrics.js';
import { handleRequest } from './requests.js';
import type { VolumeReceive } from './receive.js';
import { tokenMatches } from './tokens.js';
import { hostView, pointView } from './views.js';

export const HUB_VERSION = '0.1.0';

export interface Listen {
  host: string;
  port: number;
}

export interface HubOptions {
  dataDir: string;
  name: string;
  agents: Listen;
  http: Listen | null;
  apiTcp: (Listen & { token: string }) | null;
  tls?: { cert: string; key: string };
  tiers: TierView[];
  hosts: { name: string; tags: string[]; tier: string | null }[];
  concurrency?: number;
  heartbeatTimeoutMs?: number;
  log: LogFn;
  now?: () => number;
  /** schedules and the global retention policy (config `schedules:` and `retention:`) */
  schedules?: ScheduleConfig[];
  retention?: RetentionConfig | null;
  /** queue aging: a waiting job gains one priority point per this many seconds (default 60) */
  agingSeconds?: number;
  /** alarm rules (the defaults when empty or absent) and notification channels */
  alarms?: AlarmRuleConfig[];
  channels?: ChannelConfig[];
  /** drills and failovers: targets, checks, plans, drill TTL, the switch hook */
  recovery?: HubRecoveryOptions;
  /** where packs are kept (config `store:`; default a local directory in DATA/store) */
  store?: StoreConfig;
  /** second targets points are copied to (config `copies:`) */
  copies?: CopyConfig[];
}

export class Hub implements SessionHost {
  readonly catalog: Catalog;
  readonly store: BlockStore;
  readonly live = new LiveState();
  readonly api: OperatorApi;
  readonly jobs: JobRunner;
  readonly scheduler: HubScheduler;
  readonly copies: HubCopies;
  readonly maintenance: HubMaintenance;
  readonly sessions = new Map<string, AgentSession>();
  readonly inspection: HubInspection;
  readonly recovery: RecoveryService;
  private gateway: Gateway;
  private http: HubHttp | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** set by stop(): sessions still closing must not touch the catalog being closed */
  private stopping = false;
  readonly startedAt: string;
  readonly now: () => number;
  agentsUrl = '';

  constructor(readonly o: HubOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = new Date(this.now()).toISOString();
    fs.mkdirSync(o.dataDir, { recursive: true });
    this.catalog = new Catalog(path.join(o.dataDir, 'catalog.db'));
    this.store = new BlockStore(this.catalog, stagingFor(o.store ?? defaultStore(), o.dataDir));
    this.api = new OperatorApi((m, p, c, ws) => handleRequest(this, m, p, c, ws));
    this.jobs = new JobRunner(this);
    this.scheduler = new HubScheduler(this, o.schedules ?? []);
    this.copies = new HubCopies(this, o.copies ?? []);
    this.maintenance = new HubMaintenance(this);
    this.inspection = new HubInspection(this);
    this.recovery = recoveryServiceOf(this, o.recovery);
    this.gateway = new Gateway({
      host: o.agents.host,
      port: o.agents.port,
      tls: o.tls,
      authenticate: (h, t, r) => this.authenticate(h, t, r),
      onConnection: (ws, h, r) => this.onConnection(ws, h, r),
    });
  }

  get hubName(): string {
    return this.o.name;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** the opened repository (set by start) */
  storeHandle: OpenedStore | null = null;

  async start(): Promise<void> {
    this.storeHandle = await openHubStore(this.store, this.o.store ?? defaultStore(), this.o.dataDir, this.o.name);
    if (this.storeHandle.plainDespitePassphrase) this.o.log('warning', `the store at ${this.storeHandle.repo.store.location} was created without encryption; the passphrase applies to new stores only`);
    const orphans = this.store.recover();
    if (orphans.length) this.o.log('warning', `removed ${orphans.length} uncommitted pack file(s) left by an interrupted run`);
    this.jobs.recover();
    for (const h of this.o.hosts) this.catalog.upsertConfiguredHost(h.name, h.tags, h.tier, this.iso());
    this.scheduler.start();
    this.copies.start();
    this.inspection.start();
    // drills and failovers a stopped or killed hub left unfinished resume from their last completed step
    this.recovery.start();
    const port = await this.gateway.listen();
    this.agentsUrl = `${this.gateway.scheme}://${this.o.agents.host}:${port}`;
    await this.api.listenUnix(path.join(this.o.dataDir, 'api.sock'));
    if (this.o.apiTcp) await this.api.listenTcp(this.o.apiTcp.host, this.o.apiTcp.port, this.o.apiTcp.token);
    if (this.o.http) {
      this.http = new HubHttp(
        () => metricsText(this),
        () => ({ ok: !this.stopping, detail: { hub: this.o.name, agents: this.sessions.size, openAlarms: this.inspection.alarms.book.open().length } }),
      );
      await this.http.listen(this.o.http.host, this.o.http.port);
    }
    this.timers.push(setInterval(() => this.tickSecond(), 1000));
    this.timers.push(setInterval(() => this.tickBucket(), 10_000));
    fs.writeFileSync(
      path.join(this.o.dataDir, 'hub.json'),
      JSON.stringify({ pid: process.pid, name: this.o.name, agents: this.agentsUrl, http: this.http ? `http://${this.o.http!.host}:${this.http.port}` : null, api: path.join(this.o.dataDir, 'api.sock') }, null, 2),
    );
    this.event('info', 'hub.started', null, `hub ${this.o.name} started; agents at ${this.agentsUrl}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.inspection.stop();
    await this.copies.stop();
    await this.recovery.stop();
    this.jobs.stopAll('hub stopping');
    for (const s of this.sessions.values()) {
      s.close(CLOSE.shutdown, 'hub stopping');
      s.closed = true; // ignore whatever the agent still sends
    }
    await this.gateway.close();
    await this.api.close();
    await this.http?.close();
    this.store.backend.close();
    await this.storeHandle?.close().catch(() => undefined);
    this.inspection.close();
    this.catalog.close();
    fs.rmSync(path.join(this.o.dataDir, 'api.sock'), { force: true });
    fs.rmSync(path.join(this.o.dataDir, 'hub.json'), { force: true });
  }

  // ---- live updates -------------------------------------------------------------------
  broadcast(u: Update): void {
    this.api.broadcast(u);
  }

  event(level: Level, kind: string, host: string | null, message: string, data: object = {}): EventView {
    const e = this.catalog.addEvent(this.iso(), level, kind, host, message, data);
    this.o.log(level === 'info' ? 'info' : 'warning', message, { kind, host });
    this.broadcast({ type: 'event', event: e });
    if (!this.stopping) this.inspection.onEvent(e, data);
    return e;
  }

  audit(actor: string, action: string, target: string | null, outcome: string, details: object = {}): void {
    this.catalog.audit(this.iso(), actor, action, target, outcome, details);
  }

  pushHost(name: string): void {
    const h = this.catalog.hostByName(name);
    if (h) this.broadcast({ type: 'host', host: hostView(this.catalog, this.live, this.o.tiers, h) });
  }

  hubView(): HubView {
    const s = this.catalog.storeStats();
    const day = new Date(this.now() - 86_400_000).toISOString();
    const week = new Date(this.now() - 7 * 86_400_000).toISOString();
    const d = this.catalog.jobCounts(day);
    const w = this.catalog.jobCounts(week);
    return {
      name: this.o.name,
      version: HUB_VERSION,
      startedAt: this.startedAt,
      dataDir: this.o.dataDir,
      agentsUrl: this.agentsUrl,
      store: { ...s, dedupRatio: s.bytesStored > 0 ? Math.max(1, s.bytesLogical / s.bytesStored) : 1 },
      stats: { succeeded24h: d.succeeded, failed24h: d.failed, succeeded7d: w.succeeded, failed7d: w.failed },
      tiers: this.o.tiers,
      backend: this.store.repo ? storeView(this) : undefined,
      copies: this.copies.copies.length ? this.copies.summaries() : undefined,
    };
  }

  snapshot(): Snapshot {
    return {
      hub: this.hubView(),
      hosts: this.catalog.hosts().map((h) => hostView(this.catalog, this.live, this.o.tiers, h)),
      jobs: this.jobs.views(),
      points: this.catalog.allPoints().map((p) => pointView(this.catalog, p)),
      events: this.catalog.recentEvents(200),
      throughput: [...this.live.throughput],
      alarms: this.inspection.snapshotAlarms(),
    };
  }

  private tickSecond(): void {
    const sample = this.live.tickSecond(this.now());
    this.broadcast({ type: 'throughput', sample });
    this.jobs.tick();
    this.scheduler.tick();
    this.copies.tick();
    this.inspection.tick();
    const timeout = this.o.heartbeatTimeoutMs ?? 20_000;
    for (const s of this.sessions.values()) {
      const seen = this.live.host(s.host).lastSeen ?? 0;
      if (this.now() - seen > timeout) {
        this.o.log('warning', `agent ${s.host}: no heartbeat for ${timeout} ms; dropping the link`);
        s.ws.terminate();
      }
    }
  }

  private tickBucket(): void {
    for (const name of this.live.tickBucket()) this.pushHost(name);
    this.broadcast({ type: 'hub', hub: this.hubView() });
  }

  // ---- agents ---------------------------------------------------------------------------
  private authenticate(host: string, token: string, remote: string): string | null {
    const h = host ? this.catalog.hostByName(host) : undefined;
    let why: string | null = null;
    if (!host) why = 'no host name given';
    else if (!token) why = 'no token given';
    else if (!h) why = `unknown host ${host}`;
    else if (h.revoked) why = `token of ${host} is revoked`;
    else if (!tokenMatches(token, h.tokenHash)) why = `wrong token for ${host}`;
    else if (this.inspection.tokenExpired(h.id)) why = `token of ${host} expired`;
    this.audit(`agent:${host || '?'}`, 'agent.connect', host || null, why ? 'rejected' : 'accepted', { remote, reason: why });
    if (why) this.event('warning', 'agent.auth.rejected', h ? host : null, `agent connection from ${remote} rejected: ${why}`);
    return why;
  }

  private onConnection(ws: WebSocket, host: string, remote: string): void {
    const old = this.sessions.get(host);
    if (old) old.close(CLOSE.replaced, 'replaced by a new connection');
    const s = new AgentSession(ws, host, remote, this);
    this.sessions.set(host, s);
    this.live.host(host).lastSeen = this.now();
  }

  onHello(s: AgentSession, m: AgentMessageOf<'hello'>): void {
    const h = this.catalog.hostByName(s.host)!;
    this.catalog.tx(() => {
      for (const v of m.volumes) this.catalog.upsertVolume(h.id, v.name, v.path, v.size, v.blockSize);
    });
    const l = this.live.host(s.host);
    l.link = 'connected';
    l.agentVersion = m.agentVersion;
    this.event('info', 'host.connected', s.host, `host ${s.host} connected from ${s.remote} (agent ${m.agentVersion}, ${m.volumes.length} volume(s))`);
    this.pushHost(s.host);
    this.inspection.onHello(s);
    // a failed-over host's agent is told again each time it connects: it must not replicate
    if (h.failedOver) s.send({ type: 'fence', reason: `host ${s.host} is failed over` });
    this.jobs.pump();
  }

  onSeen(s: AgentSession): void {
    this.live.host(s.host).lastSeen = this.now();
  }

  onBitmap(s: AgentSession, m: AgentMessageOf<'bitmap'>): void {
    const dirty = {
      blockCount: m.blockCount,
      blockSize: m.blockSize,
      dirtyCount: m.dirtyCount,
      dirtyBytes: Math.min(m.size, m.dirtyCount * m.blockSize),
      bitmap: m.bitmap,
      time: new Date(m.time).toISOString(),
    };
    this.live.host(s.host).dirty.set(m.volume, dirty);
    this.inspection.onBitmap(s, m, dirty.dirtyBytes);
    this.broadcast({ type: 'bitmap', host: s.host, volume: m.volume, dirty });
  }

  onProgress(jobId: number, volume: string, phase: 'scan' | 'transfer', doneBytes: number, totalBytes: number): void {
    this.jobs.progress(jobId, phase, doneBytes, totalBytes);
  }

  onBytes(s: AgentSession, n: number): void {
    this.live.addBytes(s.host, n);
    this.inspection.onBytes(s, n);
  }

  onMetrics(s: AgentSession, m: AgentMessageOf<'metrics'>): void {
    this.inspection.onMetrics(s, m);
  }

  onPong(s: AgentSession, m: AgentMessageOf<'pong'>): void {
    this.inspection.onPong(s, m);
  }

  onAgentEvent(s: AgentSession, m: AgentMessageOf<'event'>): void {
    this.event('warning', 'bitmap.invalidated', s.host, `host ${s.host} volume ${m.volume}: ${m.message}`, { volume: m.volume });
  }

  commit(job: SessionJob, vol: VolumeReceive, merkleRoot: string): Promise<number> {
    const spec = job.volumes.find((v) => v.name === vol.name)!;
    return this.store.commitPointStored(
      {
        volumeId: spec.volumeId,
        jobId: job.jobId,
        time: this.iso(),
        type: vol.mode,
        parentId: vol.mode === 'incremental' ? spec.basePointId : null,
        size: vol.size,
        blockSize: vol.blockSize,
        blockCount: vol.blockCount,
        entries: vol.manifestEntries(),
        merkleRoot,
      },
      vol.writer,
    );
  }

  onVolumeCommitted(jobId: number, volume: string, pointId: number, vol: VolumeReceive): void {
    this.jobs.volumeCommitted(jobId, pointId, vol.bytesWire);
    const p = this.catalog.point(pointId)!;
    const host = this.jobs.hostOf(jobId);
    // the committed generation is now the base: the backlog is what changed since
    const l = this.live.host(host);
    const d = l.dirty.get(volume);
    if (d) l.dirty.set(volume, { ...d, dirtyCount: 0, dirtyBytes: 0, bitmap: Buffer.alloc(Math.ceil(d.blockCount / 8)).toString('base64') });
    this.inspection.onVolumeCommitted(host, volume);
    this.broadcast({ type: 'point', point: pointView(this.catalog, p) });
    this.event('info', 'point.committed', host, `host ${host} volume ${volume}: recovery point ${pointId} (${p.type}, ${p.changedBlocks} changed blocks)`);
    this.pushHost(host);
  }

  onJobFinished(jobId: number, error: string | null): void {
    this.jobs.finished(jobId, error);
  }

  onProtocolError(s: AgentSession, e: ProtocolError): void {
    this.event('warning', 'agent.protocol', s.host, `agent ${s.host} (${s.remote}) closed: ${e.code}: ${e.message}`);
    this.audit(`agent:${s.host}`, 'agent.protocol-error', s.host, 'closed', { code: e.code, message: e.message });
  }

  onClosed(s: AgentSession): void {
    if (this.stopping || this.sessions.get(s.host) !== s) return;
    this.sessions.delete(s.host);
    const l = this.live.host(s.host);
    l.link = 'disconnected';
    this.event('warning', 'host.disconnected', s.host, `host ${s.host} disconnected`, { closeCode: s.closeCode });
    this.pushHost(s.host);
  }

  jobRow(id: number): JobRow | undefined {
    return this.catalog.job(id);
  }
}
