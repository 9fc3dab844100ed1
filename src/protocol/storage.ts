// The operator API of storage beyond one disk: the store backend and its cache, copies
// (points held, lag, last run) and copy runs.

export interface StoreView {
  /** local | s3 */
  type: string;
  location: string;
  encrypted: boolean;
  cache: { bytes: number; maxBytes: number; packs: number; hits: number; misses: number } | null;
}

export interface CopyRunView {
  id: number;
  copy: string;
  origin: string;
  startedAt: string;
  finishedAt: string | null;
  state: 'running' | 'succeeded' | 'failed';
  points: number;
  packs: number;
  bytes: number;
  error: string | null;
  /** points this run deleted from the copy by its keep rules */
  pruned: number;
  /** what the run wants the operator to know, e.g. points kept until their retention ends */
  note: string | null;
}

export interface CopyView {
  name: string;
  type: 'directory' | 's3';
  target: string;
  immutable: boolean;
  /** points the copy holds, and all points */
  pointsHeld: number;
  pointsTotal: number;
  /** seconds since the oldest point the copy lacks was taken; 0 when it holds every point */
  lagSeconds: number;
  rpoSeconds: number | null;
  /** the next scheduled run (ISO 8601 UTC), or null without cron */
  next: string | null;
  lastRun: CopyRunView | null;
}

/** A copy in the hub's status: what the cockpit's overview shows. */
export interface CopySummaryView {
  name: string;
  pointsHeld: number;
  pointsTotal: number;
  lagSeconds: number;
  lastState: 'running' | 'succeeded' | 'failed' | null;
}

/** One damaged chunk after `drc repair`: healed from an agent's block or a copy, or still damaged. */
export interface RepairChunkView {
  /** first 16 hex digits of its sha256 */
  chunk: string;
  /** a block of a point's image that holds it (the first one known) */
  host: string | null;
  volume: string | null;
  block: number | null;
  healedFrom: 'agent' | 'copy' | null;
  /** `host/volume block N` or the copy's name */
  source: string | null;
  detail: string;
}

export interface RepairView {
  chunks: RepairChunkView[];
  healed: number;
  stillDamaged: number;
}
