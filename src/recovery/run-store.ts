// What a recovery run keeps, and the port it is kept through: the run and its steps as the
// runbook records them, and what it was asked to do. Every transition is written before the
// executor acts on it, so a hub killed at any moment resumes from what is recorded. The
// catalog implements the port (catalog/runs-repo.ts); recovery never sees how.
import type { GateView, OperatorView, RtoForecastView, RunKind, RunPointView, RunTargetView, Verdict } from '../protocol/recovery.js';
import type { RunRecord, StepSpec } from './runbook.js';

export interface RunScopeHost {
  host: string;
  tier: string | null;
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  points: RunPointView[];
  /** check names that apply to this host */
  checks: string[];
}

/** What a run was asked to do, and what the operator said about it. */
export interface RunMeta {
  plan: string | null;
  pointSpec: string;
  hosts: RunScopeHost[];
  target: RunTargetView;
  gates: GateView[];
  forecast: RtoForecastView;
  params: { ttlSeconds?: number; verdict?: Verdict; notes?: string };
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
  /** the latest successful restore steps of runs */
  restoreSamples(limit?: number): RestoreSample[];
  /** the same from restore jobs (`drc restore`) */
  jobRestoreSamples(limit?: number): RestoreSample[];
}
