// The records of a recovery run as the catalog keeps them: the run and its steps as the
// runbook records them, what it was asked to do, and the port it is kept through. Every
// transition is written before the executor acts on it, so a hub killed at any moment
// resumes from what is recorded. catalog/runs-repo.ts implements RunStore; recovery
// (runbook.ts, run-store.ts) works on these shapes and never sees how they are stored.
import type { CheckResultView, GateView, OperatorView, RtoForecastView, PreviewHostView, RunKind, RunState, RunTargetView, StepKind, StepState, Verdict } from '../protocol/recovery.js';

/** What a step's failure does to the rest of the run. */
export type StepPolicy = 'abort' | 'skip-host' | 'continue';

export interface StepSpec {
  kind: StepKind;
  host: string | null;
  volume: string | null;
  title: string;
  policy: StepPolicy;
  waitSeconds: number;
}

/** What a step produced, kept with the step (restore figures, check results, hook output). */
export interface StepResult {
  restore?: { pointId: number; path: string; format: string; size: number; bytesPerSec: number; merkleRoot: string };
  checks?: CheckResultView[];
  fence?: { agentTold: boolean; cancelledJobs: number[] };
  hook?: { kind: 'command' | 'webhook'; output: string };
  /** final sync and failback: what travelled */
  sync?: { jobId?: number; pointIds?: number[]; blocksSent?: number; bytesSent?: number; drChanged?: number | null; sourceChanged?: number | null; unionBlocks?: number | null; sourceHashed?: number; downtimeMs?: number };
  /** qemu targets: the instance a start step powered on (and, after the boot check, its boot time) */
  instance?: { id: number; accel: string; note: string | null; network: string; ports: { host: number; guest: number }[]; bootMs?: number };
}

export interface StepRecord extends StepSpec {
  index: number;
  state: StepState;
  startedAt: number | null;
  finishedAt: number | null;
  attempts: number;
  detail: string | null;
  error: string | null;
  result: StepResult;
}

export interface RunRecord {
  id: number;
  kind: RunKind;
  state: RunState;
  startedAt: number;
  finishedAt: number | null;
  steps: StepRecord[];
  issues: string[];
  error: string | null;
}

export function newRun(id: number, kind: RunKind, specs: StepSpec[], at: number): RunRecord {
  return {
    id, kind, state: 'running', startedAt: at, finishedAt: null, issues: [], error: null,
    steps: specs.map((s, index) => ({ ...s, index, state: 'pending', startedAt: null, finishedAt: null, attempts: 0, detail: null, error: null, result: {} })),
  };
}

/** One host of a run's scope: its objectives, the points chosen and the checks that apply. */
export type RunScopeHost = PreviewHostView;

/** What a run was asked to do, and what the operator said about it. */
export interface RunMeta {
  plan: string | null;
  pointSpec: string;
  hosts: RunScopeHost[];
  target: RunTargetView;
  gates: GateView[];
  forecast: RtoForecastView;
  params: {
    ttlSeconds?: number;
    verdict?: Verdict;
    notes?: string;
    instant?: boolean;
    /** failover: false when asked to skip the final sync */
    finalSync?: boolean;
    /** failback: the failover run whose images the host comes home from */
    failoverRun?: number;
    /** why a point offered is older than the newest (the last clean one): reported as issues */
    pointNotes?: string[];
  };
  operator: OperatorView;
  verdict: Verdict | null;
  verdictBy: 'operator' | 'checks' | null;
  notes: string | null;
  expiresAt: string | null;
  cleanedAt: string | null;
}

export type NewRunMeta = Omit<RunMeta, 'verdict' | 'verdictBy' | 'notes' | 'expiresAt' | 'cleanedAt'>;

export interface StoredRun {
  record: RunRecord;
  meta: RunMeta;
}

/** A duration measured by an earlier restore: what the RTO forecast is made of. */
export interface RestoreSample {
  bytes: number;
  ms: number;
}

export interface RunStore {
  /** Insert a run; `build` gets the new id (drill directories are named by it) and returns its meta and steps. */
  create(kind: RunKind, at: number, build: (id: number) => { meta: NewRunMeta; specs: StepSpec[] }): StoredRun;
  get(id: number): StoredRun | undefined;
  /** The last `limit` runs (of one kind, or all), oldest first. */
  list(kind?: RunKind, limit?: number): StoredRun[];
  /** Runs not finished: the ones a restarted hub resumes. */
  running(): StoredRun[];
  /** Write a run's state and every step that differs from `before` in one transaction. */
  save(run: RunRecord, before?: RunRecord): void;
  setVerdict(id: number, verdict: Verdict, by: 'operator' | 'checks', notes: string | null): void;
  setExpiry(id: number, expiresAt: string | null): void;
  setCleaned(id: number, at: string): void;
  /** The hosts and points a run covers, changed while it runs (a final sync's new points). */
  setHosts(id: number, hosts: RunScopeHost[]): void;
  /** the latest successful restore steps of runs */
  restoreSamples(limit?: number): RestoreSample[];
  /** the same from restore jobs (`drc restore`) */
  jobRestoreSamples(limit?: number): RestoreSample[];
  /** host → median seconds its check steps took in its last runs (drills and failovers) */
  checkSeconds(limit?: number): Map<string, number>;
}
