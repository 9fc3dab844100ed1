/**
 * The validated configuration. Every duration is in seconds, every size in bytes,
 * every local file path absolute. After parseConfig returns, these types are trusted.
 */
import type { HostPort } from './units.js';

export type { HostPort } from './units.js';

export interface DrcConfig {
  /** The file this config came from (absolute), or null for emptyConfig(). */
  source: string | null;
  hub: HubConfig;
  tiers: TierConfig[];
  hosts: HostConfig[];
  /** Present only when the file has an `agent:` section. */
  agent: AgentConfig | null;
  schedules: ScheduleConfig[];
  /** Global retention default, used by schedules without their own. */
  retention: RetentionConfig | null;
  alarms: AlarmRuleConfig[];
  channels: ChannelConfig[];
  targets: TargetConfig[];
  checks: CheckConfig[];
  plans: PlanConfig[];
  /** Drills and failovers: drill TTL, the DNS/load-balancer switch hook. */
  recovery: RecoveryConfig;
  /** Where recovery points are stored (default: the data directory). */
  store: StoreConfig;
  /** Second targets points are copied to. */
  copies: CopyConfig[];
  /** Automatic retention, gc, journal retention and verify; the jobs' watchdog. */
  maintenance: MaintenanceConfig;
  /** The daily inspection sent through channels; absent when the file has no `inspection:`. */
  inspection?: InspectionConfig;
}

export interface InspectionConfig {
  /** when the hub sends it (5-field cron); null: only on `drc inspect --send` */
  cron: string | null;
  timezone: string;
  /** channel names (from `channels:`) it is sent to */
  channels: string[];
}

export interface HubConfig {
  name: string;
  /** Data directory; null when not configured (the CLI falls back to --data or $XDG_DATA_HOME/drc). */
  data: string | null;
  listen: HubListenConfig;
  /** wss:// and https when set. */
  tls: TlsConfig | null;
  /** Bearer token for the operator API over TCP (an admin token; operator tokens come from `drc operators add`). */
  apiToken: string | null;
  /** Role of the unix socket's peer (the hub's own user); 'none': socket clients need a token too. Default admin. */
  socketRole: 'viewer' | 'operator' | 'admin' | 'none';
  /** Seconds without a message from an agent before its link is dropped (host disconnected). Default 10. */
  heartbeatTimeout: number;
}

export interface HubListenConfig {
  /** Where agents connect (ws/wss). Default 127.0.0.1:7701. */
  agents: HostPort;
  /** Operator API over TCP; null = unix socket only (the default). */
  apiTcp: HostPort | null;
  /** /metrics and /healthz. Default 127.0.0.1:7703. */
  http: HostPort;
}

export interface TlsConfig {
  cert: string;
  key: string;
}

export interface TierConfig {
  name: string;
  /** Recovery point objective, seconds (> 0). */
  rpo: number;
  /** Recovery time objective, seconds (> 0). */
  rto: number;
}

export interface HostConfig {
  name: string;
  tags: string[];
  /** Name of a tier in DrcConfig.tiers, or null. */
  tier: string | null;
  volumes: VolumeConfig[];
  /** continuous replication (`continuous: true`): cycles back to back, at most every min_interval */
  continuous?: { rpoSeconds: number | null; minIntervalSeconds: number } | null;
}

export interface VolumeConfig {
  name: string;
  /** The path on the source host, as written (not resolved: it is not a path on this machine). */
  path: string;
  /** Bytes; a power of two between 4 KiB and 4 MiB. Default 65536. */
  blockSize: number;
}

export const TRACKERS = ['scan', 'qemu-dirty-bitmap'] as const;
export type TrackerKind = (typeof TRACKERS)[number];

export interface AgentConfig {
  /** ws:// or wss:// URL of the hub; null = given on the command line. */
  hub: string | null;
  host: string | null;
  /** At most one of token and tokenFile is set. */
  token: string | null;
  tokenFile: string | null;
  data: string | null;
  /** CA certificate to trust for wss://. */
  ca: string | null;
  /** Seconds between heartbeats. Default 5. */
  heartbeat: number;
  /** Seconds between refreshes of the live dirty bitmap; 0 = off. Default 5. */
  watch: number;
  volumes: AgentVolumeConfig[];
}

export interface AgentVolumeConfig {
  name: string;
  /** Absolute path of the device or image file. */
  path: string;
  blockSize: number;
  tracker: TrackerKind;
  /** QMP socket (qemu-dirty-bitmap only). */
  qmp: string | null;
  /** NBD export as a socket path or HOST:PORT, as written (qemu-dirty-bitmap only). */
  nbd: string | null;
}

export const BACKUP_TYPES = ['full', 'incremental', 'verify'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export interface ScheduleConfig {
  name: string;
  /** Five-field cron expression, as written. */
  cron: string;
  /** IANA time zone. Default "UTC". */
  timezone: string;
  /** 0..100, higher runs first. Default 5. */
  priority: number;
  /** Host name globs and `tag:NAME` selectors; never empty. */
  targets: string[];
  type: BackupType;
  window: TimeWindow | null;
  stopAtWindowEnd: boolean;
  /** Overrides DrcConfig.retention for this schedule. */
  retention: RetentionConfig | null;
}

/** A daily time window; it wraps past midnight when endMinute < startMinute. */
export interface TimeWindow {
  /** As written, e.g. "22:00-06:00". */
  text: string;
  /** Minutes after midnight, 0..1439. */
  startMinute: number;
  endMinute: number;
}

export interface RetentionConfig {
  keepLast: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  /** Merge deltas into a new base after this many; null = never (global retention only). */
  consolidateAfter: number | null;
}

export const ALARM_LEVELS = ['info', 'warning', 'critical', 'urgent'] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];

export const ALARM_METRICS = [
  'cpu',
  'memory',
  'disk',
  'process',
  'link_latency',
  'rpo',
  'rpo_forecast',
  'failure_rate',
  'consecutive_failures',
  'dead_man',
  'token_expiry',
  'cert_expiry',
] as const;
export type AlarmMetric = (typeof ALARM_METRICS)[number];

export const ALARM_EVENTS = [
  'host_disconnected',
  'sync_failed',
  'host_start_failed',
  'verify_failed',
  'bitmap_invalidated',
  'copy_failed',
  'store_full',
  'data_exposed',
  'suspicious_change',
] as const;
export type AlarmEvent = (typeof ALARM_EVENTS)[number];

export const ALARM_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type AlarmOp = (typeof ALARM_OPS)[number];

interface AlarmRuleBase {
  name: string;
  level: AlarmLevel;
  /** Seconds the condition must hold before firing; 0 = at once. */
  for: number;
  /** Evaluation window in seconds (failure_rate, dead_man…), or null. */
  window: number | null;
  /** Host selectors (globs, `tag:NAME`); empty = every host. */
  hosts: string[];
  /** Only events/tasks with this result, or null for any. */
  result: string | null;
  /** Channel names; empty = every channel whose routing matches. */
  channels: string[];
}

export interface MetricAlarmRuleConfig extends AlarmRuleBase {
  kind: 'metric';
  metric: AlarmMetric;
  op: AlarmOp;
  threshold: number | null;
  /** Process name; set exactly when metric is "process". */
  process: string | null;
}

export interface EventAlarmRuleConfig extends AlarmRuleBase {
  kind: 'event';
  event: AlarmEvent;
}

export type AlarmRuleConfig = MetricAlarmRuleConfig | EventAlarmRuleConfig;

/** Channels that POST a payload to one URL; each has its module in alarms/notifiers/. */
export const WEBHOOK_CHANNEL_TYPES = ['webhook', 'slack', 'dingtalk', 'wecom', 'alertmanager'] as const;
export const CHANNEL_TYPES = [...WEBHOOK_CHANNEL_TYPES, 'email', 'sms'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

interface ChannelBase {
  name: string;
  /** Only alarms of these levels; empty = all levels. */
  levels: AlarmLevel[];
  /** Only alarms on these hosts (selectors); empty = all hosts. */
  hosts: string[];
}

export interface WebhookChannelConfig extends ChannelBase {
  type: (typeof WEBHOOK_CHANNEL_TYPES)[number];
  url: string;
}

export interface SmsChannelConfig extends ChannelBase {
  type: 'sms';
  url: string;
  method: 'GET' | 'POST';
  /** Request body template, or null for the gateway's default. */
  body: string | null;
  to: string[];
}

export interface EmailChannelConfig extends ChannelBase {
  type: 'email';
  smtp: SmtpConfig;
  from: string;
  to: string[];
}

export interface SmtpConfig {
  host: string;
  /** Default 465 when secure, else 25. */
  port: number;
  /** Implicit TLS. Default false. */
  secure: boolean;
  user: string | null;
  pass: string | null;
}

export type ChannelConfig = WebhookChannelConfig | SmsChannelConfig | EmailChannelConfig;

export const IMAGE_FORMATS = ['raw', 'qcow2', 'vmdk', 'vhdx'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const TARGET_PURPOSES = ['drill', 'failover', 'both'] as const;
export type TargetPurpose = (typeof TARGET_PURPOSES)[number];

interface TargetBase {
  name: string;
  format: ImageFormat;
  purpose: TargetPurpose;
}

export interface DirectoryTargetConfig extends TargetBase {
  type: 'directory';
  /** Absolute directory path. */
  path: string;
}

export interface CommandTargetConfig extends TargetBase {
  type: 'command';
  command: string;
}

export const QEMU_ACCELS = ['auto', 'kvm', 'tcg'] as const;
export const QEMU_FIRMWARES = ['bios', 'uefi'] as const;
export const QEMU_DISK_BUSES = ['virtio', 'ide', 'scsi', 'nvme'] as const;
export const QEMU_NETWORKS = ['isolated', 'none', 'user', 'bridge', 'tap'] as const;

/** isolated: user-mode with restrict=on and only forwarded ports; none: no NIC; bridge/tap: the DR network. */
export type QemuNetworkConfig =
  | { mode: 'isolated' | 'none' | 'user' }
  | { mode: 'bridge' | 'tap'; name: string };

/** A host port forwarded to a guest port (user-mode networks); host null = any free port. */
export interface PortForwardConfig {
  host: number | null;
  guest: number;
}

export interface QemuTargetConfig extends TargetBase {
  type: 'qemu';
  /** Absolute directory: images, overlays, consoles of the instances. */
  path: string;
  accel: (typeof QEMU_ACCELS)[number];
  /** MiB */
  memory: number;
  cpus: number;
  firmware: (typeof QEMU_FIRMWARES)[number];
  diskBus: (typeof QEMU_DISK_BUSES)[number];
  network: QemuNetworkConfig;
  ports: PortForwardConfig[];
  /** the emulator; default qemu-system-x86_64 */
  binary: string;
}

export type TargetConfig = DirectoryTargetConfig | CommandTargetConfig | QemuTargetConfig;

export const CHECK_TYPES = ['digest', 'qemu_img_check', 'command', 'tcp', 'http', 'boot'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

interface CheckBase {
  name: string;
  /** Seconds. Default 30. */
  timeout: number;
  /** Host selectors; empty = every host. */
  hosts: string[];
}

export interface ImageCheckConfig extends CheckBase {
  type: 'digest' | 'qemu_img_check';
}

export interface CommandCheckConfig extends CheckBase {
  type: 'command';
  command: string;
}

export interface TcpCheckConfig extends CheckBase {
  type: 'tcp';
  address: HostPort;
}

export interface HttpCheckConfig extends CheckBase {
  type: 'http';
  url: string;
  /** Required status, or null for any 2xx. */
  expectStatus: number | null;
}

/** Passes when the instance's serial console matches `console` within the timeout. */
export interface BootCheckConfig extends CheckBase {
  type: 'boot';
  console: string;
}

/** Built in on qemu targets (never configured): a QMP screendump for the report. */
export interface ScreenshotCheckConfig extends CheckBase {
  type: 'screenshot';
}

export type CheckConfig = ImageCheckConfig | CommandCheckConfig | TcpCheckConfig | HttpCheckConfig | BootCheckConfig | ScreenshotCheckConfig;

export interface PlanConfig {
  name: string;
  /** Started in order; never empty. */
  groups: PlanGroupConfig[];
  /** Check names, run after the plan's hosts are up. */
  checks: string[];
}

export interface PlanGroupConfig {
  /** Host names; never empty. */
  hosts: string[];
  /** Seconds to wait after this group before starting the next. Default 0. */
  wait: number;
}

/** The `maintenance` section (durations in seconds). */
export interface MaintenanceConfig {
  /** When the automatic run fires; null: never (prune and gc by hand). */
  cron: string | null;
  timezone: string;
  /** The run starts, and its verify jobs run, only inside this window; null: any time. */
  window: TimeWindow | null;
  /** gc's read limit in bytes per second; null: none. */
  gcLimit: number | null;
  /** A point gets a full verify when none has run on it for this long (0: never). */
  verifyEvery: number;
  /** At most this many points are verified per run (the rest wait for the next night). */
  verifyPerRun: number;
  /** Events older than this are deleted by the run. */
  eventsKeep: number;
  /** Audit entries older than this are deleted by the run (at least eventsKeep). */
  auditKeep: number;
  /** A job with no progress for this long is failed and its slot freed. */
  stallTimeout: number;
}

export interface RecoveryConfig {
  /** Seconds a drill's restored images are kept before automatic cleanup. Default 24 h. */
  drillTtl: number;
  /** Run by a failover after its post-checks; null = the switch step is skipped. */
  switch: SwitchHookConfig | null;
}

export type SwitchHookConfig =
  | { type: 'command'; command: string; timeout: number }
  | { type: 'webhook'; url: string; timeout: number };

/** Where recovery points are stored (`store:`); `{type: local}` when absent. */
export type StoreConfig = (LocalStoreConfig | S3StoreConfig) & {
  /** Encryption at rest of a new store; null = plain. */
  encryption: EncryptionConfig | null;
  /** Bytes of whole packs the hub keeps on local disk for restores and verify of a remote store. */
  cacheBytes: number;
};

export interface LocalStoreConfig {
  type: 'local';
  /** Absolute directory; null = DATA/store. */
  path: string | null;
}

export interface S3Location {
  endpoint: string | null;
  bucket: string;
  /** Key prefix ('' or ending in '/'). */
  prefix: string;
  region: string;
  pathStyle: boolean;
  /** A file with the access key and secret; null = AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
  credentialsFile: string | null;
}

export interface S3StoreConfig extends S3Location {
  type: 's3';
}

export type EncryptionConfig = { passphraseFile: string; passphraseEnv: null } | { passphraseFile: null; passphraseEnv: string };

/** A second target recovery points are copied to (`copies:`). */
export type CopyConfig = {
  name: string;
  /** 5-field cron and its zone; null = only `drc copies run`. */
  cron: string | null;
  timezone: string;
  /** Time window ("22:00-06:00") outside which a scheduled copy waits; null = any time. */
  window: TimeWindow | null;
  /** Object Lock retention (S3) or read-only files (directory) for the copy's retention time. */
  immutable: boolean;
  /** Seconds a copied point is kept (`keep: 30d`, or `keep: {within: 30d}`); null = by keepRules alone. */
  keep: number | null;
  /** GFS rules the copy keeps points by (`keep: {daily: 7, weekly: 4}`); with neither, every point forever. */
  keepRules: RetentionConfig | null;
  /** Seconds after which an uncopied point is an alarm; null = no alarm. */
  rpo: number | null;
} & ({ type: 'directory'; path: string } | ({ type: 's3' } & S3Location));
