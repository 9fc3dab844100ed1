// The seam between the uploader and a changed-block tracker: which blocks changed since the
// base generation (with their hashes), the frames of the blocks the hub asked for, and the
// commit/abandon hooks that let a tracker move its own bookkeeping with the generation.
import { fullReaders, senders } from '../block-pool.js';
import type { SendItem, SendResult } from '../send-worker.js';
import type { VolumeGeneration } from '../state.js';
import type { FullResult } from './full-worker.js';
import { scanVolume, type ScanPool, type ScannedRange } from './scan.js';

export type TrackerKind = 'scan' | 'qemu-dirty-bitmap';

export interface ChangedBlocks {
  blockCount: number;
  size: number;
  /** changed block indices, ascending */
  changed: number[];
  /** per changed block: 1 when all zero */
  zero: Uint8Array;
  /** per changed block: sha256 (32 bytes each) */
  sha: Buffer;
  /** xxh3 of every block of the new generation (8 bytes each), kept as the next base */
  xxh: Buffer;
  /** bytes read from the source to find and hash the changed blocks */
  bytesRead: number;
  /** where the time went: wall ms of the tracker's steps (for the agent log) */
  phases?: Record<string, number>;
}

/** The changed blocks of one range of a volume, handed over while the rest is still being scanned. */
export interface ChangedRange extends ScannedRange {
  blockCount: number;
  size: number;
}

export interface LiveBitmap {
  blockCount: number;
  size: number;
  changed: number[];
  /** false: no base to compare with, everything counts as changed */
  incremental: boolean;
}

export interface VolumeTracker {
  readonly kind: TrackerKind;
  /** Get ready (a tracker that serves the disk starts serving it now). */
  open(): Promise<void>;
  /** current size of the volume in bytes */
  size(): Promise<number>;
  /**
   * Blocks changed since `prev` (null: every block), from one point in time. A tracker that
   * finds them range by range hands each range to `onRange` (ascending, before it resolves),
   * so that they can be sent while it looks at the rest; one that does not never calls it.
   */
  changedBlocks(prev: VolumeGeneration | null, onRange?: (r: ChangedRange) => void): Promise<ChangedBlocks>;
  /** Read, check and compress these blocks (from the same point in time) into block frames. */
  frames(items: SendItem[], job: { jobId: number; volumeIndex: number }, out?: Buffer): Promise<SendResult>;
  /** The hub committed the point: `save` records it as the agent's generation. */
  commit(pointId: number, save: () => void): Promise<void>;
  /** The job ended without a commit: keep tracking against the old base. */
  abandon(): Promise<void>;
  /** The dirty backlog since the committed generation for the live heatmap, as cheaply as the tracker can; null: not now. */
  live(base: () => VolumeGeneration | null): Promise<LiveBitmap | null>;
  close(): Promise<void>;
}

export interface TrackedVolume {
  name: string;
  path: string;
  blockSize: number;
}

/** Worker threads that read (or take), check and compress blocks into frames (the full's readers too). */
export { senders };

/** The `scan` tracker: hash every block of the file and compare with the base's hash list. */
export class ScanTracker implements VolumeTracker {
  readonly kind = 'scan';
  private lastSize = 0;

  constructor(
    private readonly vol: TrackedVolume,
    private readonly pool: ScanPool,
    private readonly statSize: (path: string) => number,
  ) {}

  /** Boot the incremental's worker threads now: its scan and sends should not wait for them (a full, seconds long, boots its own). */
  async open(): Promise<void> {
    this.pool.warm();
    senders.warm();
  }

  async size(): Promise<number> {
    return this.statSize(this.vol.path);
  }

  async changedBlocks(prev: VolumeGeneration | null, onRange?: (r: ChangedRange) => void): Promise<ChangedBlocks> {
    const size = (this.lastSize = await this.size());
    const blockCount = Math.ceil(size / this.vol.blockSize);
    return scanVolume(this.pool, this.vol.path, size, this.vol.blockSize, prev ? prev.xxh : null, true, onRange && ((r) => onRange({ ...r, blockCount, size })));
  }

  frames(items: SendItem[], job: { jobId: number; volumeIndex: number }, out?: Buffer): Promise<SendResult> {
    return senders.run({ path: this.vol.path, blockSize: this.vol.blockSize, size: this.lastSize, jobId: job.jobId, volumeIndex: job.volumeIndex, items, ...(out ? { out } : {}) });
  }

  /** A full in one pass (full-upload.ts): blocks start..end read once, hashed and framed by the
   * send threads. The scan's threads stay up, idle (stopping and booting them again after the
   * full cost more CPU than the full's own sending). */
  async beginFull(): Promise<number> {
    this.lastSize = await this.size();
    return this.lastSize;
  }

  readFull(start: number, end: number, size: number, job: { jobId: number; volumeIndex: number }, out: Buffer): Promise<FullResult> {
    return fullReaders.run({ path: this.vol.path, blockSize: this.vol.blockSize, size, start, end, jobId: job.jobId, volumeIndex: job.volumeIndex, out });
  }

  async commit(_pointId: number, save: () => void): Promise<void> {
    save();
    await this.open();
  }

  async abandon(): Promise<void> {
    await this.open();
  }

  async live(base: () => VolumeGeneration | null): Promise<LiveBitmap> {
    const prev = base();
    const size = await this.size();
    const xxh = prev && prev.blockSize === this.vol.blockSize ? prev.xxh : null;
    const scan = await scanVolume(this.pool, this.vol.path, size, this.vol.blockSize, xxh, false);
    return { blockCount: scan.blockCount, size, changed: scan.changed, incremental: xxh !== null };
  }

  async close(): Promise<void> {}
}
