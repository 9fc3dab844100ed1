// The operator API of schedules and store maintenance: schedule views with their next runs
// and window state, retention (prune) decisions, garbage collection and verification.
// Shared by hub, CLI and cockpit.

export interface ScheduleRunTime {
  /** ISO 8601 UTC */
  utc: string;
  /** ISO 8601 with the schedule zone's offset */
  local: string;
}

export interface ScheduleWindowView {
  /** as configured, e.g. "22:00-06:00" (in the schedule's zone) */
  text: string;
  open: boolean;
  /** ISO UTC of the next opening and closing */
  opensAt: string;
  closesAt: string;
  /** 0 while open */
  opensInSeconds: number;
}

export interface ScheduleQueueEntry {
  jobId: number;
  host: string;
  state: 'queued' | 'running';
  priority: number;
  /** priority plus aging */
  effectivePriority: number;
  waitReason: string | null;
}

export interface ScheduleLastResult {
  /** succeeded: every job of the last run; failed: at least one failed; running: some still run */
  state: 'succeeded' | 'failed' | 'running' | 'cancelled';
  /** ISO UTC the run fired */
  firedAt: string | null;
  /** runs missed while the hub was down and folded into this one */
  missed: number;
  jobIds: number[];
  /** first error of a failed job */
  error: string | null;
}

export interface ScheduleView {
  name: string;
  /** the next run, ISO 8601 UTC (scripts rely on this field) */
  next: string | null;
  /** the next runs, in UTC and in the schedule's zone */
  nextRuns: ScheduleRunTime[];
  cron: string;
  timezone: string;
  priority: number;
  targets: string[];
  /** host names the targets match now */
  hosts: string[];
  type: 'full' | 'incremental' | 'verify';
  window: ScheduleWindowView | null;
  stopAtWindowEnd: boolean;
  /** e.g. "daily 3, weekly 2"; null = the global policy (or none) */
  retention: string | null;
  lastResult: ScheduleLastResult | null;
  /** this schedule's queued and running jobs, in queue order */
  queue: ScheduleQueueEntry[];
}

export interface PruneDecisionView {
  pointId: number;
  host: string;
  volume: string;
  time: string;
  type: 'full' | 'incremental';
  action: 'keep' | 'delete' | 'consolidate';
  /** the rules that keep it ("nightly: daily 2025-06-12"), or why it goes */
  reasons: string[];
}

export interface PruneReport {
  /** the instant retention was evaluated at (ISO UTC) */
  now: string;
  dryRun: boolean;
  decisions: PruneDecisionView[];
  /** ids deleted (planned, for a dry run) */
  deleted: number[];
  /** ids turned into synthetic fulls (planned, for a dry run) */
  consolidated: number[];
  /** hosts with no retention policy: nothing of theirs is deleted */
  unmanagedHosts: string[];
}

export interface GcReportView {
  chunksRemoved: number;
  chunksPinned: number;
  packsRepacked: number;
  packsDropped: number;
  packsWritten: number;
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
  durationMs: number;
}

export interface MaintenanceStatusView {
  /** the store task running now, or null */
  task: 'gc' | null;
  phase: string | null;
  done: number;
  total: number;
  startedAt: string | null;
  /** the automatic maintenance runs (config `maintenance:`) */
  auto?: MaintenanceAutoView;
}

/** What one maintenance run did. */
export interface MaintenanceSummary {
  /** the instant retention was evaluated at (ISO UTC) */
  retentionAt: string;
  /** recovery points deleted, and turned into synthetic fulls */
  deleted: number[];
  consolidated: number[];
  chunksRemoved: number;
  bytesFreed: number;
  eventsRemoved: number;
  auditRemoved: number;
  /** points queued for a full verify, and their jobs */
  verifyPoints: number[];
  verifyJobs: number[];
}

export interface MaintenanceRunView {
  id: number;
  /** "schedule" for the automatic run, else the operator who ran it */
  origin: string;
  startedAt: string;
  finishedAt: string | null;
  state: 'running' | 'succeeded' | 'failed';
  error: string | null;
  summary: MaintenanceSummary | null;
}

export interface MaintenanceAutoView {
  /** cron of the automatic run; null: automatic runs are off */
  cron: string | null;
  timezone: string;
  window: string | null;
  /** the next automatic run (ISO UTC), or null */
  next: string | null;
  /** a run is due and waits for the window */
  waiting: boolean;
  /** the phase of the run in progress (retention, gc, journal, verify), or null */
  phase: string | null;
  /** no run has deleted anything yet: `drc maintenance preview` shows what the first would */
  firstDeletionPending: boolean;
  /** newest first */
  lastRuns: MaintenanceRunView[];
}

export interface VerifyProblemView {
  volume: string;
  /** block index, or null for a problem of the whole point */
  block: number | null;
  /** first 16 hex digits of the chunk hash */
  chunk: string | null;
  message: string;
}

export interface VerifyResultView {
  jobId: number | null;
  pointId: number;
  host: string;
  volume: string;
  time: string;
  samplePct: number;
  chunksChecked: number;
  ok: boolean;
  problems: VerifyProblemView[];
}
