// The operator API: what the hub tells cockpits and CLI clients, and what they may ask.
// Transport: WebSocket (unix socket DATA/api.sock, or TCP with a token), JSON text frames.
// A client sends requests {id, method, params} (one table below: the schema of each method's
// params, from which the types are derived); the hub answers {id, result} or {id, error}.
// After `subscribe` the hub sends one {type:"snapshot"} and then incremental updates.

import type { GcReportView, MaintenanceRunView, MaintenanceStatusView, PruneReport, ScheduleView, VerifyResultView } from './maintenance.js';
import type { DrillArtefactView, DrillPreview, FailbackPrecheck, FailoverCancelView, FailoverPrecheck, InstanceConsole, InstanceView, RecoveryReport, RecoveryUpdate, ReportSummary, RunView } from './recovery.js';
import { bool, int, list, name, nullable, num, obj, oneOf, optional, str, type Reader } from './schema.js';

export type * from './maintenance.js';
export type * from './storage.js';
import type { CopyRunView, CopySummaryView, CopyView, RepairView, StoreView } from './storage.js';
export type * from './recovery.js';
import type { AuditEntryView, OperatorTokenView, WhoAmIView } from './access.js';
import type { ConfigReloadView, InspectionSendView } from './hub-config.js';
export type * from './access.js';
export type * from './hub-config.js';

export const OPERATOR_API_VERSION = 1;

export type Level = 'info' | 'warning' | 'critical' | 'urgent';
export type LinkState = 'connected' | 'disconnected' | 'never';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type JobKind = 'backup' | 'restore' | 'verify';
export type BackupType = 'full' | 'incremental';

/** Changed blocks of one volume against its last committed generation. */
export interface DirtyBitmapView {
  blockCount: number;
  blockSize: number;
  dirtyCount: number;
  dirtyBytes: number;
  /** base64 of the bitmap, bit i (LSB first in byte i>>3) = block i changed */
  bitmap: string;
  /** ISO time the agent produced it */
  time: string;
}

/** A DirtyBitmapView without the bitmap. */
export type BacklogView = Omit<DirtyBitmapView, 'bitmap'>;

export interface VolumeView {
  name: string;
  path: string;
  size: number;
  blockSize: number;
  dirty: DirtyBitmapView | null;
}

export interface HostView {
  name: string;
  tags: string[];
  tier: string | null;
  link: LinkState;
  /** ISO time of the last message from its agent */
  lastSeen: string | null;
  agentVersion: string | null;
  /** RPO/RTO of the host's tier, seconds; null when the host has no tier */
  rpoSeconds: number | null;
  rtoSeconds: number | null;
  /** ISO time of the newest committed recovery point (any volume) */
  lastPointTime: string | null;
  /** changed bytes not yet in a recovery point (from the latest bitmap) */
  backlogBytes: number;
  /** bytes/s received from this host, one sample per 10 s, oldest first (max 60) */
  throughput: number[];
  volumes: VolumeView[];
  failedOver: boolean;
  revoked: boolean;
  /** continuous replication (cycles back to back): its own RPO target (null: the tier's, already in rpoSeconds); absent when not continuous */
  continuous?: ContinuousView | null;
  /** the host's agent links by site: its primary agent and an agent at the DR site on the recovered image */
  agents?: AgentLinkView[];
}

/** Where an agent runs: on the host itself, or at the DR site on the host's recovered image. */
export type AgentSite = 'primary' | 'dr';

/** One agent link of a host; serving: backups go to it now (the DR agent while the host is failed over). */
export interface AgentLinkView {
  site: AgentSite;
  connected: boolean;
  serving: boolean;
  version: string | null;
  remote: string;
  /** ISO time the agent said hello */
  since: string;
}

/** A continuous host's replication: lag is the newest point's age (lastPointTime) and the backlog (backlogBytes). */
export interface ContinuousView {
  rpoSeconds: number | null;
  minIntervalSeconds: number;
  /** ISO time the current cycle started, null when none runs */
  cycleStartedAt: string | null;
}

export interface JobProgress {
  phase: 'queued' | 'scan' | 'transfer' | 'commit' | 'restore' | 'verify' | 'done';
  doneBytes: number;
  totalBytes: number;
  /** bytes/s over the last seconds */
  rate: number;
  etaSeconds: number | null;
}

export interface JobView {
  id: number;
  kind: JobKind;
  host: string;
  volumes: string[];
  type: BackupType | null;
  state: JobState;
  priority: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: JobProgress;
  /** why a queued job waits, or why a failed job failed */
  waitReason: string | null;
  error: string | null;
  bytesWire: number;
  bytesNew: number;
  pointIds: number[];
  /** who asked for it: "operator:root", "schedule:nightly", "demo" */
  origin: string;
}

export interface PointView {
  id: number;
  host: string;
  volume: string;
  /** ISO 8601 */
  time: string;
  type: BackupType;
  parentId: number | null;
  size: number;
  blockSize: number;
  changedBlocks: number;
  bytesNew: number;
  merkleRoot: string;
  verifiedAt: string | null;
  /** names of the copies that hold this point */
  copies?: string[];
  /** relies on a chunk that failed its hash or is missing: restores refuse it unless told to write zeros */
  damaged: boolean;
  /** its change stands far outside its volume's baseline (a burst of blocks that do not compress) */
  suspect: boolean;
  /** blocks new to the store / all blocks, and the share of those that did not compress (null: not measured) */
  change: { rate: number; incompressibleShare: number } | null;
  provenance: PointProvenanceView;
  /** where it was taken: primary, or dr (an agent on the recovered image while the host is failed over) */
  site: 'primary' | 'dr';
}

/** What has been proven about a point, rung by rung (times ISO 8601). */
export interface PointProvenanceView {
  /** the last passing verify and the share of chunks it read (1 = full) */
  verified: { time: string; fraction: number } | null;
  /** a restore whose Merkle check passed */
  restored: { time: string; by: string } | null;
  booted: { time: string; run: number } | null;
  appChecked: { time: string; run: number } | null;
  drilled: { time: string; run: number } | null;
  /** names of the copies that hold this point */
  copies: string[];
}

export interface EventView {
  id: number;
  time: string;
  level: Level;
  kind: string;
  host: string | null;
  message: string;
}

export interface ThroughputSample {
  /** ISO time, whole second */
  time: string;
  bytesPerSec: number;
}

export interface TierView {
  name: string;
  rpoSeconds: number;
  rtoSeconds: number;
}

export interface StoreStats {
  /** bytes in pack files */
  bytesStored: number;
  /** logical bytes referenced by all points (sum of volume sizes) */
  bytesLogical: number;
  chunks: number;
  packs: number;
  /** logical / stored, >= 1 */
  dedupRatio: number;
}

export interface JobStats {
  succeeded24h: number;
  failed24h: number;
  succeeded7d: number;
  failed7d: number;
}

export interface HubView {
  name: string;
  version: string;
  startedAt: string;
  dataDir: string;
  agentsUrl: string;
  store: StoreStats;
  stats: JobStats;
  tiers: TierView[];
  /** where packs are kept, encryption and the local cache (Step 9) */
  backend?: StoreView;
  /** copies with points held and lag */
  copies?: CopySummaryView[];
}

// ---- alarms, metrics, inspection (Step 4) ---------------------------------------------

export type AlarmState = 'firing' | 'acknowledged' | 'resolved';

/** Acknowledgement SLA of an alarm: ack within this many seconds of firing. */
export interface AlarmSlaView {
  ackWithinSeconds: number;
  /** ISO time the SLA runs out; null once acknowledged or resolved */
  dueAt: string | null;
  breached: boolean;
}

/** The outcome of one notification of one alarm transition on one channel. */
export interface AlarmDeliveryView {
  channel: string;
  transition: string;
  ok: boolean;
  attempts: number;
  error: string | null;
  /** ISO time of the last attempt */
  time: string;
}

export interface AlarmView {
  id: number;
  /** dedup key: rule|host|subject */
  key: string;
  rule: string;
  level: Level;
  state: AlarmState;
  host: string | null;
  /** what within the host: a mount, a process, a certificate */
  subject: string | null;
  message: string;
  value: number | null;
  firedAt: string;
  lastFiredAt: string;
  /** times the condition or event fired under this alarm */
  count: number;
  /** held open by flap damping */
  flapping: boolean;
  ackedAt: string | null;
  ackedBy: string | null;
  ackNote: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolveNote: string | null;
  sla: AlarmSlaView;
  /** latest delivery per channel and transition */
  deliveries: AlarmDeliveryView[];
}

/** Link health of an agent: round trip from ping/pong, bandwidth measured from transfers. */
export interface LinkHealthView {
  latencyMs: number | null;
  bandwidthBps: number | null;
  /** ISO time of the last pong */
  lastPong: string | null;
  state: 'good' | 'degraded' | 'down' | 'unknown';
}

/** The newest resource sample of a host. */
export interface HostMetricsView {
  time: string;
  cpu: number;
  memoryPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  disks: { mount: string; usedBytes: number; totalBytes: number; percent: number }[];
  processes: { name: string; count: number }[];
  netRxBytesPerSec: number;
  netTxBytesPerSec: number;
}

/** Downsampled history of one metric: 1 s buckets for 1 h, 1 min for 7 d, 1 h for 90 d. */
export interface MetricHistoryView {
  host: string;
  metric: string;
  resolutionSeconds: number;
  points: { time: string; avg: number; max: number }[];
}

/** The daily inspection: what an operator checks every morning, in one answer. */
export interface InspectionView {
  time: string;
  alarmsByLevel: Record<Level, number>;
  /** events per day and level, oldest first, the last 30 days (UTC dates) */
  eventTrend: { date: string; info: number; warning: number; critical: number; urgent: number }[];
  failedTasks: JobView[];
  /** hosts whose newest point is older than their tier's RPO */
  delayedHosts: { host: string; lastPointTime: string | null; rpoSeconds: number }[];
  badLinks: { host: string; link: LinkState; latencyMs: number | null; state: LinkHealthView['state'] }[];
  expiringCredentials: { kind: 'token' | 'certificate'; name: string; expiresAt: string; secondsLeft: number }[];
  storage: { bytesStored: number; capacityBytes: number; freeBytes: number; growthBytesPerDay: number; daysUntilFull: number | null };
}

export interface Snapshot {
  hub: HubView;
  hosts: HostView[];
  jobs: JobView[];
  points: PointView[];
  events: EventView[];
  throughput: ThroughputSample[];
  /** open alarms, and those resolved in the last 24 h */
  alarms?: AlarmView[];
}

export type Update =
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'hub'; hub: HubView }
  | { type: 'host'; host: HostView }
  | { type: 'host.removed'; name: string }
  | { type: 'job'; job: JobView }
  | { type: 'point'; point: PointView }
  | { type: 'point.removed'; id: number }
  | { type: 'event'; event: EventView }
  | { type: 'throughput'; sample: ThroughputSample }
  | { type: 'bitmap'; host: string; volume: string; dirty: DirtyBitmapView }
  /** the changed-block counts of a volume whose bitmap this client does not watch (see bitmaps.watch); sent when they change */
  | { type: 'backlog'; host: string; volume: string; backlog: BacklogView }
  | { type: 'alarm'; alarm: AlarmView }
  | { type: 'metrics'; host: string; metrics: HostMetricsView; link: LinkHealthView }
  | RecoveryUpdate;

// ---- requests: one table of methods, each with the schema of its params and the type of its result

declare const RESULT: unique symbol;
/** The type of a method's answer, carried in the table for the type checker only. */
export interface Returns<T> {
  readonly [RESULT]: T;
}
const returns = <T>(): Returns<T> => ({}) as Returns<T>;

const none = obj({});
const id = obj({ id: int(1) });
const point = str(64);
const MAX_TTL_SECONDS = 365 * 86_400;
const MAX_METRIC_RANGE_SECONDS = 90 * 86_400;
export const MAX_WATCHED_HOSTS = 10_000;

/** Hosts, jobs, backups and restores, and the connection's own feed. */
export const hubRequests = {
  'hub.status': { params: none, result: returns<Snapshot>() },
  /** snapshot: false subscribes to updates only (CLI waiting for a job) */
  'subscribe': { params: obj({ snapshot: optional(bool) }), result: returns<{ ok: true }>() },
  /**
   * Whose live detail this connection wants — changed-block bitmaps in full and `metrics`
   * updates (a cockpit: the hosts whose detail view is on screen); null: every host's, the
   * default. For the other hosts the hub sends `backlog` updates, only when the counts
   * change, and no metrics. Newly watched hosts get their latest bitmaps and metrics at once
   * (metrics.history has the recent past).
   */
  'bitmaps.watch': { params: obj({ hosts: nullable(list(name, MAX_WATCHED_HOSTS)) }), result: returns<{ ok: true }>() },
  /** expiresInSeconds: the token stops working after this long (token_expiry alarms warn ahead) */
  'hosts.add': {
    params: obj({ name, tags: optional(list(str(63), 64)), tier: optional(nullable(str(63))), expiresInSeconds: optional(int(60, 10 * 366 * 86_400)) }),
    result: returns<{ host: HostView; token: string }>(),
  },
  'hosts.list': { params: none, result: returns<HostView[]>() },
  'hosts.revoke': { params: obj({ name }), result: returns<{ ok: true }>() },
  /** priority: 0..100, higher first (default 5) */
  'backup.start': {
    params: obj({ host: name, volume: optional(name), full: optional(bool), origin: optional(str(100)), priority: optional(int(0, 100)) }),
    result: returns<JobView>(),
  },
  'job.get': { params: id, result: returns<JobView>() },
  'job.cancel': { params: id, result: returns<JobView>() },
  'job.retry': { params: id, result: returns<JobView>() },
  'jobs.list': { params: none, result: returns<JobView[]>() },
  'points.list': { params: obj({ host: name, volume: optional(name) }), result: returns<PointView[]>() },
  /** an operator judged a suspect point's change benign: it may be clean again (the note is audited) */
  'points.clearSuspect': { params: obj({ id: int(1), note: str(2000) }), result: returns<PointView>() },
  /** sync: false does not wait for the image to reach the disk (faster, not crash-safe) */
  'restore.start': {
    params: obj({
      host: name,
      volume: name,
      point,
      to: str(4096),
      format: optional(oneOf('raw', 'qcow2', 'vmdk', 'vhdx')),
      origin: optional(str(100)),
      sync: optional(bool),
      allowDamaged: optional(bool),
      /** overwrite `to` when it exists (refused otherwise) */
      force: optional(bool),
    }),
    result: returns<JobView>(),
  },
};

/** Alarms, metrics history, the daily inspection and log export. */
export const monitoringRequests = {
  /** open: only firing and acknowledged ones; limit: newest first, default 200 */
  'alarms.list': { params: obj({ open: optional(bool), limit: optional(int(1, 5000)) }), result: returns<AlarmView[]>() },
  'alarms.ack': { params: obj({ id: int(1), note: optional(str(2000)) }), result: returns<AlarmView>() },
  'alarms.resolve': { params: obj({ id: int(1), note: str(2000) }), result: returns<AlarmView>() },
  'alarms.testChannel': { params: obj({ name }), result: returns<AlarmDeliveryView>() },
  /** range: seconds back from now, at most 90 days; metric: cpu, memory, disk, disk:/MOUNT, net_rx, net_tx, link_latency */
  'metrics.history': { params: obj({ host: name, metric: str(600), range: int(1, MAX_METRIC_RANGE_SECONDS) }), result: returns<MetricHistoryView>() },
  'inspection.get': { params: none, result: returns<InspectionView>() },
  /** files for `drc logs export`: hub log, each connected agent's log tail, catalog summary */
  'logs.export': { params: none, result: returns<{ files: { name: string; data: string }[]; errors: string[] }>() },
};

/** Schedules, retention, garbage collection and verification. */
export const maintenanceRequests = {
  /** schedules with next runs (UTC and zone), window state, last result and queue */
  'schedules.list': { params: none, result: returns<ScheduleView[]>() },
  /** run a schedule now on every host it targets (its window does not apply) */
  'schedules.run': { params: obj({ name }), result: returns<JobView[]>() },
  /** apply retention (or only preview it); now: evaluate as of this ISO time (default: the hub's clock) */
  'retention.prune': { params: obj({ dryRun: optional(bool), now: optional(str(64)) }), result: returns<PruneReport>() },
  /** remove unreferenced chunks and repack mostly-dead packs; bytesPerSecond throttles reading */
  'store.gc': { params: obj({ bytesPerSecond: optional(int(1)) }), result: returns<GcReportView>() },
  /** queue a verify job per host (all hosts with points, or one); sample: percent of chunks */
  'store.verify': { params: obj({ host: optional(name), sample: optional(num(0.01, 100)) }), result: returns<JobView[]>() },
  'verify.results': { params: obj({ jobs: list(int(1), 10_000) }), result: returns<VerifyResultView[]>() },
  'maintenance.status': { params: none, result: returns<MaintenanceStatusView>() },
  /** what the next maintenance run's retention would delete (a prune dry run at its time, or now) */
  'maintenance.preview': { params: none, result: returns<PruneReport>() },
  /** run maintenance now (retention, gc, journal retention, verify queueing); ends with its record */
  'maintenance.run': { params: none, result: returns<MaintenanceRunView>() },
};

/** The store backend and copies to second targets. */
export const storageRequests = {
  /** the store backend, its location, encryption and local pack cache */
  'store.info': { params: none, result: returns<StoreView>() },
  /** copies with points held, lag and their last run */
  'copies.list': { params: none, result: returns<CopyView[]>() },
  /** run a copy now; wait: answer when it has finished; bytesPerSecond throttles it */
  'copies.run': { params: obj({ name, wait: optional(bool), bytesPerSecond: optional(int(1)) }), result: returns<CopyRunView>() },
  /** heal damaged chunks (of one host's points, or all) from connected agents' blocks and from copies */
  'store.repair': { params: obj({ host: optional(name) }), result: returns<RepairView>() },
};

const verdict = oneOf('pass', 'fail');

/** Drills, failovers, runs and their reports. */
export const recoveryRequests = {
  'drill.preview': { params: obj({ hosts: optional(list(name, 256)), plan: optional(name), point: optional(point), target: optional(name) }), result: returns<DrillPreview>() },
  'drill.start': {
    params: obj({
      hosts: optional(list(name, 256)),
      plan: optional(name),
      point: optional(point),
      target: optional(name),
      ttlSeconds: optional(int(1, MAX_TTL_SECONDS)),
      verdict: optional(verdict),
      notes: optional(str(4000)),
      instant: optional(bool),
    }),
    result: returns<RunView>(),
  },
  'drill.verdict': { params: obj({ id: int(1), verdict, notes: optional(str(4000)) }), result: returns<RunView>() },
  'drill.list': { params: obj({ all: optional(bool) }), result: returns<DrillArtefactView[]>() },
  /** id: one drill; expiredOnly: those past their TTL; all: every drill's artefacts (one of the three is required) */
  'drill.cleanup': { params: obj({ id: optional(int(1)), expiredOnly: optional(bool), all: optional(bool) }), result: returns<DrillArtefactView[]>() },
  'failover.precheck': { params: obj({ host: name, point: optional(point), target: optional(name), noFinalSync: optional(bool) }), result: returns<FailoverPrecheck>() },
  /** confirm must equal host exactly; the service checks it (and audits a wrong one), so any string passes here */
  'failover.start': {
    params: obj({ host: name, point: optional(point), target: optional(name), confirm: optional(str(200)), instant: optional(bool), noFinalSync: optional(bool) }),
    result: returns<RunView>(),
  },
  /** un-fence a failed-over host without failback: its agent replicates again from its last committed generation */
  'failover.cancel': { params: obj({ host: name, confirm: optional(str(200)) }), result: returns<FailoverCancelView>() },
  'failback.precheck': { params: obj({ host: name }), result: returns<FailbackPrecheck>() },
  'failback.start': { params: obj({ host: name, confirm: optional(str(200)) }), result: returns<RunView>() },

  'instances.list': { params: obj({ all: optional(bool) }), result: returns<InstanceView[]>() },
  /** failover instances need confirm equal to their host name */
  'instances.stop': { params: obj({ id: int(1), confirm: optional(str(200)) }), result: returns<InstanceView>() },
  /** the serial console from byte `offset` (default: its last 64 KiB) */
  'instances.console': { params: obj({ id: int(1), offset: optional(int(0)) }), result: returns<InstanceConsole>() },
  'mount.start': { params: obj({ host: name, volume: optional(name), point: optional(point) }), result: returns<InstanceView>() },
  'mount.stop': { params: obj({ id: optional(int(1)), host: optional(name) }), result: returns<InstanceView[]>() },
  'runs.list': { params: obj({ kind: optional(oneOf('drill', 'failover', 'failback')) }), result: returns<RunView[]>() },
  'runs.get': { params: id, result: returns<RunView>() },
  'reports.list': { params: none, result: returns<ReportSummary[]>() },
  'reports.get': { params: id, result: returns<RecoveryReport>() },
};

const role = oneOf('viewer', 'operator', 'admin');

/** Who this connection is, operator tokens and the audit log (roles.ts says who may call what). */
export const accessRequests = {
  'whoami': { params: none, result: returns<WhoAmIView>() },
  /** a new operator token (printed once); expiresInSeconds: it stops working after this long */
  'operators.add': { params: obj({ name, role, expiresInSeconds: optional(int(60, 10 * 366 * 86_400)) }), result: returns<{ operator: OperatorTokenView; token: string }>() },
  'operators.list': { params: none, result: returns<OperatorTokenView[]>() },
  /** the token stops working at once; its open connections are closed */
  'operators.revoke': { params: obj({ name }), result: returns<{ ok: true }>() },
  /** newest last; since: ISO time; host: rows about that host; limit: default 1000 */
  'audit.list': { params: obj({ since: optional(str(64)), host: optional(name), limit: optional(int(1, 100_000)) }), result: returns<AuditEntryView[]>() },
};

/** The hub's configuration file and the deliveries it schedules. */
export const configRequests = {
  /** read and validate the config file again; apply what can change live, name what needs a restart */
  'config.reload': { params: none, result: returns<ConfigReloadView>() },
  /** send the daily inspection now, to the given channels or the config's `inspection.channels` */
  'inspection.send': { params: obj({ channels: optional(list(name, 64)) }), result: returns<InspectionSendView>() },
};

/** Every method a client may call: the one table the hub's handlers and the API client are typed from. */
export const operatorRequests = { ...hubRequests, ...monitoringRequests, ...maintenanceRequests, ...recoveryRequests, ...storageRequests, ...accessRequests, ...configRequests };

type Requests = typeof operatorRequests;
export type MethodName = keyof Requests;
export type ParamsOf<M extends MethodName> = ReturnType<Requests[M]['params']>;
export type ResultOf<M extends MethodName> = Requests[M]['result'] extends Returns<infer T> ? T : never;
/** Params and result per method, derived from the table. */
export type OperatorMethods = { [M in MethodName]: { params: ParamsOf<M>; result: ResultOf<M> } };

export function isMethodName(method: string): method is MethodName {
  return Object.hasOwn(operatorRequests, method);
}

/** The params of a request, checked against its method's schema; a ProtocolError names the field. */
export function parseParams<M extends MethodName>(method: M, params: unknown): ParamsOf<M> {
  const read: Reader<unknown> = operatorRequests[method].params;
  return read(params ?? {}, 'params') as ParamsOf<M>;
}

export interface ApiRequest {
  id: number;
  method: string;
  params?: unknown;
}

export type ApiResponse =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string } };
