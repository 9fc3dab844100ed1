// The operator API of drills and failovers: runs with their step checklists, pre-check
// gates, RTO/RPO measurements and the reports built from them. Shared by hub, CLI, cockpit.

export type RunKind = 'drill' | 'failover' | 'failback';
/** running → completed (all steps done; a drill may still have a fail verdict) | failed (stopped at a step) */
export type RunState = 'running' | 'completed' | 'failed';
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type StepKind =
  | 'precheck' | 'prepare' | 'fence' | 'restore' | 'deliver' | 'start' | 'checks' | 'attach' | 'wait' | 'switch' | 'complete'
  | 'final-sync' | 'reverse-sync' | 'cutover' | 'unfence';
export type Verdict = 'pass' | 'fail';
export type ImageFormatName = 'raw' | 'qcow2' | 'vmdk' | 'vhdx';
export type CheckStatus = 'pass' | 'fail' | 'skipped';

/** An objective measured against its target: RTO or RPO, in seconds. */
export interface ObjectiveView {
  actualSeconds: number | null;
  /** the tier's objective; null when no tier applies */
  targetSeconds: number | null;
  /** null when there is nothing to compare */
  pass: boolean | null;
}

export interface CheckResultView {
  name: string;
  type: 'digest' | 'qemu_img_check' | 'command' | 'tcp' | 'http' | 'boot' | 'screenshot';
  host: string;
  volume: string | null;
  status: CheckStatus;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  detail: string;
  /** boot checks: the console's lines up to the match (or its last lines on failure) */
  console?: string[];
  /** screenshot checks: the PNG's path on the hub */
  screenshot?: string;
}

export interface StepProgressView {
  doneBytes: number;
  totalBytes: number;
  /** bytes/s since the step started */
  rate: number;
  /** a step that moves no bytes: what it does now and since when (a check step: "booting" since power-on) */
  activity?: { text: string; since: string };
}

export interface StepView {
  index: number;
  kind: StepKind;
  host: string | null;
  volume: string | null;
  title: string;
  state: StepState;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** >1 when a hub restart interrupted the step and it ran again */
  attempts: number;
  detail: string | null;
  error: string | null;
  /** live: restore steps' bytes, check steps' activity */
  progress: StepProgressView | null;
  checks: CheckResultView[];
}

/** One pre-check of a failover; a failed blocking gate refuses the failover. */
export interface GateView {
  name: 'point' | 'rpo' | 'verified' | 'target' | 'link' | 'fenced' | 'final-sync' | 'failed-over' | 'agent' | 'volume';
  ok: boolean;
  blocking: boolean;
  detail: string;
}

export interface RunPointView {
  volume: string;
  pointId: number;
  time: string;
  type: 'full' | 'incremental';
  size: number;
  verified: boolean;
  /** where the volume is (or will be) restored */
  image: string;
}

export interface RunHostView {
  host: string;
  tier: string | null;
  points: RunPointView[];
  rto: ObjectiveView;
  rpo: ObjectiveView;
}

/** How a qemu target runs a recovered host. */
export interface VmSpecView {
  accel: 'auto' | 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  firmware: 'bios' | 'uefi';
  diskBus: 'virtio' | 'ide' | 'scsi' | 'nvme';
  /** isolated | none | user | bridge NAME | tap NAME */
  network: string;
  /** configured forwards; host null = any free port */
  ports: { host: number | null; guest: number }[];
  binary: string;
}

export interface PortForwardView {
  host: number;
  guest: number;
}

export type InstanceKind = 'drill' | 'failover' | 'mount';
export type InstanceState = 'running' | 'stopped' | 'lost';

/** A recovered host running as a VM (or a point exported over NBD for a mount). */
export interface InstanceView {
  id: number;
  kind: InstanceKind;
  host: string;
  runId: number | null;
  target: string | null;
  state: InstanceState;
  pid: number | null;
  accel: string | null;
  network: string;
  ports: PortForwardView[];
  /** where the forwarded host ports listen: 127.0.0.1 for drills, 0.0.0.0 (every interface) for failovers; null without forwards */
  bindAddress: string | null;
  /** the instance's directory: console.log, qmp.sock, pid, overlay */
  dir: string;
  qmp: string | null;
  console: string | null;
  /** mounts: the NBD socket to connect to */
  nbd: string | null;
  startedAt: string;
  /** drills: stopped and removed at this time */
  expiresAt: string | null;
  stoppedAt: string | null;
  uptimeSeconds: number | null;
  /** boot check passed after this many ms from power-on */
  bootMs: number | null;
  lastLines: string[];
  /** instant recovery: the background copy, then local */
  disk: 'local' | 'nbd' | 'nbd+copying';
}

/** A slice of an instance's serial console: bytes from `offset` on the next call. */
export interface InstanceConsole {
  id: number;
  text: string;
  offset: number;
  state: InstanceState;
}

export interface RunTargetView {
  /** configured target name, or null for the built-in default */
  name: string | null;
  type: 'directory' | 'command' | 'qemu';
  vm?: VmSpecView;
  format: ImageFormatName;
  /** where images are written (a command target's staging directory) */
  dir: string;
  command: string | null;
}

export interface RtoForecastView {
  seconds: number;
  bytes: number;
  bytesPerSec: number;
  /** measured: from earlier restores on this hub; assumed: no measurement yet */
  basis: 'measured' | 'assumed';
  samples: number;
  /** seconds = restoreSeconds + checkSeconds + waitSeconds, along the critical path */
  restoreSeconds?: number;
  /** checks (boot, probes, commands) as long as they took in this host's past drills and failovers */
  checkSeconds?: number;
  /** the plan's pauses between boot groups */
  waitSeconds?: number;
  /** the steps the forecast adds up, in run order */
  criticalPath?: { step: string; seconds: number }[];
}

export interface OperatorView {
  user: string;
  /** SSH_CLIENT of the operator's session, when any */
  ssh: string | null;
}

/** One audit row about a run, in its report: who did what, from where, when (confirmations included). */
export interface RunAuditView {
  time: string;
  actor: string;
  action: string;
  outcome: string;
  /** `unix` or the TCP peer host:port; null for the hub's own actions */
  address: string | null;
  ssh: string | null;
  /** what was typed or chosen: the confirmation, the verdict, notes */
  detail: string | null;
}

export interface RunView {
  id: number;
  kind: RunKind;
  state: RunState;
  plan: string | null;
  /** as asked: latest, a point id or an ISO time */
  pointSpec: string;
  hosts: RunHostView[];
  target: RunTargetView;
  gates: GateView[];
  forecast: RtoForecastView;
  operator: OperatorView;
  startedAt: string;
  finishedAt: string | null;
  /** run start → every host restored and checked, vs the strictest tier RTO */
  rto: ObjectiveView;
  /** run start − oldest point time, vs the strictest tier RPO */
  rpo: ObjectiveView;
  /** qemu targets: power-on → boot check passed, the longest of the run's hosts */
  bootSeconds: number | null;
  /** booted from an NBD export of the point while the full restore ran behind */
  instant: boolean;
  instances: InstanceView[];
  steps: StepView[];
  verdict: Verdict | null;
  verdictBy: 'operator' | 'checks' | null;
  notes: string | null;
  issues: string[];
  error: string | null;
  /** drills: when the artefacts are removed; null once removed or for failovers */
  expiresAt: string | null;
  cleanedAt: string | null;
}

export interface PreviewHostView {
  host: string;
  tier: string | null;
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  points: RunPointView[];
  checks: string[];
}

export interface DrillPreview {
  hosts: PreviewHostView[];
  target: RunTargetView;
  forecast: RtoForecastView;
  ttlSeconds: number;
  /** e.g. the point offered is the last clean one and older than the newest */
  notes?: string[];
}

export interface FailoverPrecheck {
  host: PreviewHostView;
  target: RunTargetView;
  gates: GateView[];
  /** every blocking gate passed */
  ready: boolean;
  forecast: RtoForecastView;
  switchHook: 'command' | 'webhook' | null;
  /** why the point offered is older than the newest (it is the last clean one) */
  notes?: string[];
}

/** What a failback would send home, per volume: the blocks where the source and the DR image differ. */
export interface FailbackVolumeView {
  volume: string;
  /** the DR image the host runs from */
  image: string;
  blockSize: number;
  size: number;
  /** blocks that differ between source and DR image now (null: not measured, the source is not reachable) */
  differingBlocks: number | null;
  bytes: number | null;
}

export interface FailbackPrecheck {
  host: string;
  /** the failover run whose images the host runs from */
  failoverRun: number | null;
  gates: GateView[];
  ready: boolean;
  volumes: FailbackVolumeView[];
  bytesToSend: number | null;
  /** seconds to send them at the measured rate of recent backups (null: unknown) */
  forecastSeconds: number | null;
  switchHook: 'command' | 'webhook' | null;
}

/** A failover undone without failback: the host is un-fenced and replicates from its last committed generation. */
export interface FailoverCancelView {
  host: string;
  /** the agent was connected and told; otherwise it is told when it connects */
  agentTold: boolean;
}

export interface DrillArtefactView {
  runId: number;
  hosts: string[];
  dir: string;
  bytes: number;
  createdAt: string;
  expiresAt: string | null;
  cleanedAt: string | null;
}

export interface ReportSummary {
  /** the run's id */
  id: number;
  kind: RunKind;
  hosts: string[];
  /** run start, ISO 8601 */
  time: string;
  state: RunState;
  verdict: Verdict | null;
  rto: ObjectiveView;
  rpo: ObjectiveView;
}

/** A failover's final sync and a failback's return, in figures. */
export interface WayBackView {
  /** failover: ran (RPO 0), skipped (why in its step) or null (a failback) */
  finalSync: 'ran' | 'skipped' | null;
  /** failback: blocks and bytes written back into the source */
  blocksSent: number;
  bytesSent: number;
  /** failback: blocks changed on either side since the failover point (the only ones compared); null when whole volumes were compared */
  unionBlocks?: number | null;
  /** failback: block hashes the source sent to be compared */
  sourceHashedBlocks?: number;
  /** failback: cut-over start → source verified */
  downtimeSeconds: number | null;
}

/** Everything a drill or takeover report says; Markdown and HTML are rendered from this. */
export interface RecoveryReport extends RunView {
  /** failovers and failbacks */
  wayBack?: WayBackView | null;
  title: string;
  hub: string;
  generatedAt: string;
  durationSeconds: number | null;
  checks: CheckResultView[];
  /** recovered instances: console excerpt and screenshot (base64 PNG) per host */
  evidence?: { host: string; console: string[]; png: string | null }[];
  /** the audit trail of the run: pre-checks, confirmations typed, start, verdict, oldest first */
  audit?: RunAuditView[];
}

export type RecoveryUpdate = { type: 'run'; run: RunView };
