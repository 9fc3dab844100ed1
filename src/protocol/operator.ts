// The operator API: what the hub tells cockpits and CLI clients, and what they may ask.
// Transport: WebSocket (unix socket DATA/api.sock, or TCP with a token), JSON text frames.
// A client sends requests {id, method, params}; the hub answers {id, result} or {id, error}.
// After `subscribe` the hub sends one {type:"snapshot"} and then incremental updates.

import type { GcReportView, MaintenanceStatusView, PruneReport, ScheduleView, VerifyResultView } from './maintenance.js';

export type * from './maintenance.js';
export type * from './storage.js';
import type { CopyRunView, CopySummaryView, CopyView, StoreView } from './storage.js';
import type { RecoveryMethods, RecoveryUpdate } from './recovery.js';
export type * from './recovery.js';

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

/** Methods a client may call; params and results per method. */
export interface OperatorMethods extends RecoveryMethods {
  'hub.status': { params: Record<string, never>; result: Snapshot };
  /** snapshot: false subscribes to updates only (CLI waiting for a job) */
  'subscribe': { params: { snapshot?: boolean }; result: { ok: true } };
  /**
   * Whose live detail this connection wants — changed-block bitmaps in full and `metrics`
   * updates (a cockpit: the hosts whose detail view is on screen); null: every host's, the
   * default. For the other hosts the hub sends `backlog` updates, only when the counts
   * change, and no metrics. Newly watched hosts get their latest bitmaps and metrics at once
   * (metrics.history has the recent past).
   */
  'bitmaps.watch': { params: { hosts: string[] | null }; result: { ok: true } };
  /** expiresInSeconds: the token stops working after this long (token_expiry alarms warn ahead) */
  'hosts.add': { params: { name: string; tags?: string[]; tier?: string | null; expiresInSeconds?: number }; result: { host: HostView; token: string } };
  'hosts.list': { params: Record<string, never>; result: HostView[] };
  'hosts.revoke': { params: { name: string }; result: { ok: true } };
  'backup.start': { params: { host: string; volume?: string; full?: boolean; origin?: string }; result: JobView };
  'job.get': { params: { id: number }; result: JobView };
  'job.cancel': { params: { id: number }; result: JobView };
  'job.retry': { params: { id: number }; result: JobView };
  'jobs.list': { params: Record<string, never>; result: JobView[] };
  'points.list': { params: { host: string; volume?: string }; result: PointView[] };
  'restore.start': {
    params: {
      host: string;
      volume: string;
      point: string;
      to: string;
      format?: 'raw' | 'qcow2' | 'vmdk' | 'vhdx';
      origin?: string;
      /** false: do not wait for the image to reach the disk (faster, not crash-safe) */
      sync?: boolean;
    };
    result: JobView;
  };
  /** open: only firing and acknowledged ones; limit: newest first, default 200 */
  'alarms.list': { params: { open?: boolean; limit?: number }; result: AlarmView[] };
  'alarms.ack': { params: { id: number; note?: string }; result: AlarmView };
  'alarms.resolve': { params: { id: number; note: string }; result: AlarmView };
  'alarms.testChannel': { params: { name: string }; result: AlarmDeliveryView };
  /** range: seconds back from now, at most 90 days; metric: cpu, memory, disk, disk:/MOUNT, net_rx, net_tx, link_latency */
  'metrics.history': { params: { host: string; metric: string; range: number }; result: MetricHistoryView };
  'inspection.get': { params: Record<string, never>; result: InspectionView };
  /** files for `drc logs export`: hub log, each connected agent's log tail, catalog summary */
  'logs.export': { params: Record<string, never>; result: { files: { name: string; data: string }[]; errors: string[] } };
  /** schedules with next runs (UTC and zone), window state, last result and queue */
  'schedules.list': { params: Record<string, never>; result: ScheduleView[] };
  /** run a schedule now on every host it targets (its window does not apply) */
  'schedules.run': { params: { name: string }; result: JobView[] };
  /** apply retention (or only preview it); now: evaluate as of this ISO time (default: the hub's clock) */
  'retention.prune': { params: { dryRun?: boolean; now?: string }; result: PruneReport };
  /** remove unreferenced chunks and repack mostly-dead packs; bytesPerSecond throttles reading */
  'store.gc': { params: { bytesPerSecond?: number }; result: GcReportView };
  /** queue a verify job per host (all hosts with points, or one); sample: percent of chunks */
  'store.verify': { params: { host?: string; sample?: number }; result: JobView[] };
  'verify.results': { params: { jobs: number[] }; result: VerifyResultView[] };
  'maintenance.status': { params: Record<string, never>; result: MaintenanceStatusView };
  /** the store backend, its location, encryption and local pack cache */
  'store.info': { params: Record<string, never>; result: StoreView };
  /** copies with points held, lag and their last run */
  'copies.list': { params: Record<string, never>; result: CopyView[] };
  /** run a copy now; wait: answer when it has finished; bytesPerSecond throttles it */
  'copies.run': { params: { name: string; wait?: boolean; bytesPerSecond?: number }; result: CopyRunView };
}

export type MethodName = keyof OperatorMethods;

export interface ApiRequest {
  id: number;
  method: string;
  params?: unknown;
}

export type ApiResponse =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string } };
