// What the recovery service needs from the hub, and what it is configured with. The hub
// hands an adapter in (src/hub/recovery-link.ts); recovery never imports the hub.
import type { Catalog } from '../catalog/catalog.js';
import type { CheckConfig, PlanConfig, SwitchHookConfig, TargetConfig } from '../config/types.js';
import type { Level, LinkState, TierView } from '../protocol/operator.js';
import type { RunView } from '../protocol/recovery.js';
import type { BlockStore } from '../store/block-store.js';
import type { Clock } from './executor.js';
import type { RunStore } from './run-store.js';

export interface RecoveryHost {
  catalog: Catalog;
  /** where runs and their steps are kept */
  runs: RunStore;
  store: BlockStore;
  dataDir: string;
  hubName: string;
  tiers: TierView[];
  clock: Clock;
  event(level: Level, kind: string, host: string | null, message: string, data?: object): void;
  audit(actor: string, action: string, target: string | null, outcome: string, details?: object): void;
  broadcastRun(run: RunView): void;
  /** tell the host's agent to stop replicating; false when it is not connected */
  fence(host: string, reason: string): boolean;
  link(host: string): LinkState;
  /** cancel the host's queued and running backups; returns their job ids */
  cancelBackups(host: string): number[];
  /** the host's view changed (failed over) */
  pushHost(host: string): void;
  log(level: 'info' | 'warning', message: string): void;
  /** a failover's final sync: one incremental of the host's volumes now (quiesced); resolves when the job ends */
  finalSync(host: string, signal: AbortSignal): Promise<{ jobId: number; error: string | null }>;
  /** the host's own volumes through its connected agent (failback); null when it is not connected */
  sourceVolumes(host: string): SourceVolumes | null;
  /** tell the host's agent it may replicate again; false when it is not connected (it is told on connect) */
  unfence(host: string, reason: string): boolean;
}

/** Failback's reach into a source host: block hashes of a volume, and writes into it. */
export interface SourceVolumes {
  hashes(volume: string, signal?: AbortSignal): Promise<{ size: number; blockSize: number; sha: Buffer }>;
  /** sha256 of just these blocks (32 bytes each, in list order) */
  hashesOf(volume: string, blocks: readonly number[], signal?: AbortSignal): Promise<Buffer>;
  /** the blocks the source's tracker sees changed since its committed generation (a point id) */
  changes(volume: string, signal?: AbortSignal): Promise<{ generation: number | null; size: number; blockSize: number; changed: number[] }>;
  write(volume: string, shape: { blockSize: number; size: number }, blocks: Iterable<{ index: number; data: Buffer }> | AsyncIterable<{ index: number; data: Buffer }>, signal?: AbortSignal): Promise<number>;
}

export interface RecoveryOptions {
  targets: TargetConfig[];
  checks: CheckConfig[];
  plans: PlanConfig[];
  drillTtlSeconds: number;
  switchHook: SwitchHookConfig | null;
  /** seconds a command target's hook may take */
  deliverTimeoutSeconds?: number;
  /** the watchdog: a restore step with no progress for this long fails (absent: never) */
  stallSeconds?: number;
  /** called once a step's start is in the catalog (a crash test kills the hub there) */
  onStepStarted?: (runKind: string, step: string) => void;
}

/** Who asked: the operator's user name and SSH client, for the audit log and the report. */
export interface Operator {
  actor: string;
  user: string;
  ssh: string | null;
}
