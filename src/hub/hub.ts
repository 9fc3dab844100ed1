// `drc serve`: the composition root. Owns the catalog, the store, the agents' gateway,
// the operators' API, the job runner and the live state.
import fs from 'node:fs';
import path from 'node:path';
import { AlarmService } from '../alarms/service.js';
import { Catalog } from '../catalog/catalog.js';
import type { RetentionConfig, ScheduleConfig } from '../config/types.js';
import type { AlarmRuleConfig, ChannelConfig } from '../config/types.js';
import { CLOSE } from '../protocol/errors.js';
import type { HubView, Snapshot, TierView, Update } from '../protocol/operator.js';
import type { RecoveryService } from '../recovery/service.js';
import { DEFAULT_AGING_SECONDS } from '../scheduler/queue.js';
import { defaultStore } from '../config/defaults.js';
import type { CopyConfig, InspectionConfig, StoreConfig } from '../config/types.js';
import { ConfigReload, type ConfigSource } from './config-reload.js';
import { InspectionMail } from './inspection-mail.js';
import { BlockStore } from '../store/block-store.js';
import type { OperatorsRepo } from '../catalog/operators-repo.js';
import type { Role } from '../protocol/access.js';
import { OperatorAccess } from './access.js';
import { openHubStore, stagingFor, type OpenedStore } from '../store/hub-store.js';
import { AgentDesk } from './agent-desk.js';
import { SiteLinks } from './agent-links.js';
import { dailyInspection } from './daily-inspection.js';
import { onDamageNews } from './damage-watch.js';
import { AgentTokenWatch } from './agent-tokens.js';
import type { AgentSession } from './agent-session.js';
import { OperatorApi } from './api.js';
import { HubCopies } from './copies.js';
import { HubFeed } from './feed.js';
import { Gateway } from './gateway.js';
import { HubHttp } from './http.js';
import { JobRunner } from './jobs.js';
import { HubJournal } from './journal.js';
import { LiveState } from './live.js';
import { HubMaintenance } from './maintenance.js';
import { AutoMaintenance } from './maintenance-auto.js';
import { MaintenanceRunsRepo } from '../catalog/maintenance-runs-repo.js';
import { defaultMaintenance } from '../config/defaults.js';
import type { MaintenanceConfig } from '../config/types.js';
import { loosePermissions, makePrivateDir, makePrivateFile } from './privacy.js';
import { metricsText, type MetricsPorts } from './metrics.js';
import { HubMonitoring, METRIC_FLUSH_PARTS } from './monitoring.js';
import { clockOf, type Clock, type HubLog } from './ports.js';
import { NO_RECOVERY_CONFIG, recoveryServiceOf, type HubRecoveryOptions } from './recovery-link.js';
import { handleRequest, type RequestPorts } from './requests.js';
import { repairDamage } from './repair.js';
import { restoreTask } from './restore-job.js';
import { HubScheduler } from './schedules.js';
import { ContinuousReplication } from './continuous.js';
import { storeView } from './storage-requests.js';
import { hostView, pointView } from './wire.js';

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
  /** the TCP operator API (TLS when `tls` is set); token: hub.api_token, an admin token */
  apiTcp: (Listen & { token?: string }) | null;
  /** role of the unix socket's peer (the hub's own user); default admin, null: a token is needed */
  socketRole?: Role | null;
  tls?: { cert: string; key: string };
  tiers: TierView[];
  hosts: { name: string; tags: string[]; tier: string | null; continuous?: { rpoSeconds: number | null; minIntervalSeconds: number } | null }[];
  concurrency?: number;
  heartbeatTimeoutMs?: number;
  log: HubLog;
  now?: () => number;
  /** called after each gc repack commit (a crash test kills the hub there) */
  afterGcRepackCommit?: (commits: number) => void;
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
  /** automatic maintenance and the jobs' watchdog (config `maintenance:`; default daily) */
  maintenance?: MaintenanceConfig;
  /** the daily inspection sent through channels (config `inspection:`) */
  inspection?: InspectionConfig | null;
  /** reads the config file again for `drc config reload` and SIGHUP; absent: no config file */
  reload?: ConfigSource;
}

export class Hub {
  readonly catalog: Catalog;
  readonly store: BlockStore;
  readonly live = new LiveState();
  readonly clock: Clock;
  readonly journal: HubJournal;
  readonly feed: HubFeed;
  readonly api: OperatorApi;
  readonly jobs: JobRunner;
  readonly scheduler: HubScheduler;
  private readonly continuous: ContinuousReplication;
  readonly copies: HubCopies;
  /** the opened repository (set by start) */
  storeHandle: OpenedStore | null = null;
  readonly maintenance: HubMaintenance;
  readonly autoMaintenance: AutoMaintenance;
  readonly sessions: SiteLinks<AgentSession>;
  readonly monitoring: HubMonitoring;
  readonly agents: AgentDesk;
  readonly operators: OperatorsRepo;
  private readonly agentTokens: AgentTokenWatch;
  readonly inspectionMail: InspectionMail;
  readonly config: ConfigReload;
  readonly recovery: RecoveryService;
  private readonly metricsPorts: MetricsPorts;
  private gateway: Gateway;
  private http: HubHttp | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** set by stop(): sessions still closing must not touch the catalog being closed */
  private stopping = false;
  readonly startedAt: string;
  readonly now: () => number;
  agentsUrl = '';

  constructor(private readonly o: HubOptions) {
    // the narrow services first; every module below gets only the ones it uses
    const clock = (this.clock = clockOf(o.now ?? Date.now));
    this.now = clock.now;
    this.startedAt = clock.iso();
    makePrivateDir(o.dataDir);
    makePrivateFile(path.join(o.dataDir, 'catalog.db'));
    const catalog = (this.catalog = new Catalog(path.join(o.dataDir, 'catalog.db')));
    const store = (this.store = new BlockStore(catalog, stagingFor(o.store ?? defaultStore(), o.dataDir)));
    const live = this.live;
    const links = (this.sessions = new SiteLinks<AgentSession>((host) => catalog.hostByName(host)?.failedOver === true));
    const tiers = o.tiers;
    const send = (u: Update) => this.api.broadcast(u);
    const journal = (this.journal = new HubJournal(catalog, clock, o.log, send));
    const feed = (this.feed = new HubFeed(send, catalog, live, tiers, () => this.hubView()));
    const { schedules, jobStats, pointStats, tokens, journal: journalRepo } = catalog.repos;
    const operators = (this.operators = catalog.repos.operators);
    const alarms = new AlarmService({
      store: catalog.repos.alarms,
      rules: o.alarms ?? [],
      channels: o.channels ?? [],
      hubName: o.name,
      clock: clock.now,
      host: (name) => catalog.hostByName(name) ?? null,
      audit: (actor, action, target, outcome, details) => journal.audit(actor, action, target, outcome, details),
      broadcast: send,
      log: (level, message) => o.log(level, message),
    });

    const retention = { schedules: o.schedules ?? [], retention: o.retention ?? null, continuousHosts: new Set(o.hosts.filter((h) => h.continuous).map((h) => h.name)) };
    this.maintenance = new HubMaintenance({
      clock, catalog, store, journal, feed, ...retention,
      verifyResults: schedules,
      pointMarks: catalog.repos.damage,
      afterRepackCommit: o.afterGcRepackCommit,
    });
    const agingSeconds = o.agingSeconds ?? DEFAULT_AGING_SECONDS;
    this.jobs = new JobRunner({
      clock, catalog, live, links, journal, feed,
      queue: catalog.repos.queue,
      runVerify: (j, signal, progress) => this.maintenance.runVerifyJob(j, signal, progress),
      runRestore: restoreTask({ store, clock, journal, marks: catalog.repos.damage, hostOf: (j) => catalog.hostById(j.hostId)?.name ?? null, log: o.log }),
      limits: { concurrency: o.concurrency ?? 4, agingSeconds, stallMs: (o.maintenance ?? defaultMaintenance()).stallTimeout * 1000 },
    });
    const jobs = this.jobs;
    this.autoMaintenance = new AutoMaintenance(
      { clock, catalog, state: schedules, runs: new MaintenanceRunsRepo(catalog.db), maintenance: this.maintenance, jobs, journal, feed },
      o.maintenance ?? defaultMaintenance(),
    );
    this.scheduler = new HubScheduler({ clock, catalog, state: schedules, jobs, journal, agingSeconds }, o.schedules ?? []);
    const thin = (host: string) => void this.maintenance.thin(host, clock.now());
    this.continuous = new ContinuousReplication({ clock, catalog, live, jobs, journal, thin }, o.hosts.flatMap((h) => (h.continuous ? [{ name: h.name, ...h.continuous }] : [])));
    const copies = (this.copies = new HubCopies({ catalog, store, now: clock.now, event: (...a) => journal.event(...a) }, o.copies ?? []));
    const metrics = catalog.metricStore(METRIC_FLUSH_PARTS);
    const monitoring = (this.monitoring = new HubMonitoring({
      clock, catalog, tokens, metrics, alarms, links, live, journal, feed, tiers,
      facts: { jobStats, pointStats, nextRuns: () => this.scheduler.nextRuns() },
      tlsCert: o.tls?.cert,
    }));
    store.damage.onNews = (n) => {
      if (!this.stopping) onDamageNews({ catalog, journal, feed }, n);
    };
    journal.listen((e, data) => {
      if (!this.stopping) monitoring.onEvent(e, data);
    });
    this.recovery = recoveryServiceOf(
      { catalog, store, dataDir: o.dataDir, hubName: o.name, tiers, clock, journal, feed, links, live, jobs, log: o.log },
      { ...(o.recovery ?? NO_RECOVERY_CONFIG), stallSeconds: (o.maintenance ?? defaultMaintenance()).stallTimeout },
    );
    this.metricsPorts = { clock, catalog, jobStats, pointStats, alarmCounts: catalog.repos.alarms, monitoring, links, tiers };
    const dailyInspectionPorts = { clock, catalog, jobStats, journalRepo, tokens, monitoring, jobs, live, tiers, dataDir: o.dataDir };
    const inspectionMail = (this.inspectionMail = new InspectionMail(
      { clock, hubName: o.name, journal, snapshot: () => this.snapshot(), inspection: () => dailyInspection(dailyInspectionPorts), openAlarms: () => alarms.list(true, 500), channels: () => alarms.channels() },
      o.inspection ?? null,
    ));
    const requests: RequestPorts = {
      clock, catalog, jobs, journal, feed, live, links, tiers, monitoring,
      change: catalog.repos.change,
      snapshot: () => this.snapshot(),
      snapshotFor: (ws, snap) => this.api.snapshotFor(ws, snap),
      monitoringRequests: {
        clock, catalog, journal, monitoring,
        dailyInspection: dailyInspectionPorts,
        logBundle: { clock, catalog, jobStats, pointStats, journalRepo, alarms, jobs, hubView: () => this.hubView(), live, links, tiers, dataDir: o.dataDir },
      },
      maintenanceRequests: { clock, catalog, jobs, journal, scheduler: this.scheduler, maintenance: this.maintenance, auto: this.autoMaintenance },
      recoveryRequests: { recovery: this.recovery },
      accessRequests: { clock, journal, operators, audit: catalog.repos.auditLog, dropLapsed: () => this.api.dropLapsed() },
      storageRequests: { store, copies, journal, repair: (host) => repairDamage({ catalog, store, links: this.sessions, copies: this.copies.copies, journal }, host) },
      configRequests: { reload: { reload: (actor) => this.config.reload(actor) }, inspection: inspectionMail },
    };
    // who may call what: every request passes the access check first (roles.ts)
    const access = new OperatorAccess({
      apiToken: o.apiTcp?.token ?? null,
      socketRole: o.socketRole === undefined ? 'admin' : o.socketRole,
      operators,
      audit: (actor, action, target, outcome, details) => journal.audit(actor, action, target, outcome, details),
      now: clock.now,
    });
    this.api = new OperatorApi((m, p, c, ws) => handleRequest(requests, m, p, c, ws), access);
    this.config = new ConfigReload(
      {
        clock, journal, alarms, access, copies, tiers,
        scheduler: this.scheduler,
        maintenance: this.maintenance,
        recovery: this.recovery,
        inspection: inspectionMail,
        upsertHost: (h) => {
          catalog.upsertConfiguredHost(h.name, h.tags, h.tier, clock.iso());
          feed.pushHost(h.name);
        },
        dropLapsed: () => this.api.dropLapsed(),
      },
      o,
      o.reload ?? null,
    );
    const agents = (this.agents = new AgentDesk({
      clock, catalog, store, live, sessions: links, journal, feed, jobs, monitoring,
      hubName: o.name,
      log: o.log,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 10_000,
      change: catalog.repos.change,
      stopping: () => this.stopping,
    }));
    this.agentTokens = new AgentTokenWatch({ tokens, sessions: links, clock, journal });
    this.gateway = new Gateway({
      host: o.agents.host,
      port: o.agents.port,
      tls: o.tls,
      authenticate: (h, t, r) => agents.authenticate(h, t, r),
      onConnection: (ws, h, r) => agents.onConnection(ws, h, r),
    });
  }

  iso(): string {
    return this.clock.iso();
  }

  async start(): Promise<void> {
    this.storeHandle = await openHubStore(this.store, this.o.store ?? defaultStore(), this.o.dataDir, this.o.name);
    try {
      await this.startServices();
    } catch (e) {
      // a hub that cannot start must not keep the store's owner lock: the next start would be refused
      await this.storeHandle.close().catch(() => undefined);
      this.storeHandle = null;
      throw e;
    }
  }

  private async startServices(): Promise<void> {
    if (this.storeHandle!.plainDespitePassphrase) this.o.log('warning', `the store at ${this.storeHandle!.repo.store.location} was created without encryption; the passphrase applies to new stores only`);
    const orphans = this.store.recover();
    if (orphans.length) this.o.log('warning', `removed ${orphans.length} uncommitted pack file(s) left by an interrupted run`);
    this.jobs.recover();
    for (const h of this.o.hosts) this.catalog.upsertConfiguredHost(h.name, h.tags, h.tier, this.iso());
    this.scheduler.start();
    this.autoMaintenance.start();
    this.copies.start();
    this.monitoring.start();
    this.inspectionMail.start();
    // drills and failovers a stopped or killed hub left unfinished resume from their last completed step
    this.recovery.start();
    const port = await this.gateway.listen();
    this.agentsUrl = `${this.gateway.scheme}://${this.o.agents.host}:${port}`;
    await this.api.listenUnix(path.join(this.o.dataDir, 'api.sock'));
    if (this.o.apiTcp) await this.api.listenTcp(this.o.apiTcp.host, this.o.apiTcp.port, this.o.tls);
    if (this.o.http) {
      this.http = new HubHttp(
        () => metricsText(this.metricsPorts),
        () => ({ ok: !this.stopping, detail: { hub: this.o.name, agents: this.sessions.size, openAlarms: this.monitoring.alarms.book.open().length } }),
      );
      await this.http.listen(this.o.http.host, this.o.http.port);
    }
    this.timers.push(setInterval(() => this.tickSecond(), 1000));
    this.timers.push(setInterval(() => this.tickBucket(), 10_000));
    fs.writeFileSync(
      path.join(this.o.dataDir, 'hub.json'),
      JSON.stringify({ pid: process.pid, name: this.o.name, agents: this.agentsUrl, http: this.http ? `http://${this.o.http!.host}:${this.http.port}` : null, api: path.join(this.o.dataDir, 'api.sock') }, null, 2),
    );
    this.journal.event('info', 'hub.started', null, `hub ${this.o.name} started; agents at ${this.agentsUrl}`);
    const loose = loosePermissions(this.o.dataDir, path.join(this.o.dataDir, 'store', 'packs'));
    if (loose.length) this.journal.event('warning', 'store.permissions', null, `data directory readable by others: ${loose.join('; ')} (want 0700 for directories, 0600 for files)`, { paths: loose });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.monitoring.stop();
    this.inspectionMail.stop();
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
    this.monitoring.close();
    this.catalog.close();
    fs.rmSync(path.join(this.o.dataDir, 'api.sock'), { force: true });
    fs.rmSync(path.join(this.o.dataDir, 'hub.json'), { force: true });
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
      backend: this.store.repo ? storeView(this.store) : undefined,
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
      alarms: this.monitoring.snapshotAlarms(),
    };
  }

  private tickSecond(): void {
    const sample = this.live.tickSecond(this.now());
    this.feed.broadcast({ type: 'throughput', sample });
    this.jobs.tick();
    this.scheduler.tick();
    this.autoMaintenance.tick();
    this.copies.tick();
    this.inspectionMail.tick();
    this.monitoring.tick();
    this.continuous.tick();
    // an expired token is the reason a link ends, before silence is
    this.agentTokens.tick();
    this.agents.dropSilent();
  }

  private tickBucket(): void {
    for (const name of this.live.tickBucket()) this.feed.pushHost(name);
    this.feed.pushHub();
  }
}
