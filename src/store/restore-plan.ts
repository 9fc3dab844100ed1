// The reads of a restore, planned window by window while the workers already read, decode
// and write the first ones: looking up where every block's chunk lies is one catalog query per
// block (about a third of a second for 2 GiB), which would otherwise all come before the first
// read. Within a window the plan is read-plan.ts's: each chunk once, packs in the order the
// image needs them, adjacent chunks in one big read.
import type { ChunkLocation } from '../catalog/catalog.js';
import { FLAG_ZERO, blockLength } from './manifest.js';
import { chunksOf, planExtents, type ExtentLimits, type PlannedExtent } from './read-plan.js';

export interface PlanInput {
  hashes: Buffer;
  flags: Uint8Array;
  size: number;
  blockSize: number;
  /** blocks whose chunk is marked damaged (written as zeros, or the restore is refused before it starts) */
  damaged: ReadonlySet<number>;
  locate: (hash: Buffer) => ChunkLocation | undefined;
  /** run a window's lookups in one read transaction of the catalog (one lock, not one per query: 4-6× faster) */
  batch?: <T>(fn: () => T) => T;
}

// 64 MiB of blocks per window by default: a few milliseconds of lookups between two turns of the event loop
const WINDOW_BYTES = 64 << 20;

/** A window of the image as planned: its blocks [from, to), how many extents fill it, which blocks hold data. */
export interface PlanWindow {
  index: number;
  from: number;
  to: number;
  extents: number;
  /** blocks to write, ascending (the others are holes) */
  data: number[];
}

export class RestorePlan {
  private readonly queue: PlannedExtent[] = [];
  private readonly waiting: (() => void)[] = [];
  private done = false;
  /** blocks with no chunk in the index, found so far */
  readonly missing: number[] = [];
  /** bytes of zero blocks and of blocks left as zeros (holes: done once the file has its size) */
  holeBytes = 0;
  /** milliseconds spent looking up and planning (while the workers run) */
  planMs = 0;
  /** the windows planned so far that have extents (the restore drops each once written) */
  readonly windows = new Map<number, PlanWindow>();
  /** blocks per window: every extent fills blocks of one window only */
  readonly windowBlocks: number;

  constructor(
    private readonly input: PlanInput,
    private readonly limits: ExtentLimits,
    windowBlocks?: number,
  ) {
    this.windowBlocks = windowBlocks ?? Math.max(256, Math.floor(WINDOW_BYTES / input.blockSize));
  }

  /**
   * Plan every window, yielding to the event loop between them; `stop()` true ends early (a
   * failure, a cancel). `onMissing` decides whether a block whose chunk is not in the index
   * ends the plan (false) or is left as zeros (true).
   */
  async run(stop: () => boolean, onMissing: (block: number) => boolean): Promise<void> {
    const { flags } = this.input;
    const per = this.windowBlocks;
    const batch = this.input.batch ?? (<T>(fn: () => T): T => fn());
    try {
      for (let from = 0; from < flags.length && !stop(); from += per) {
        const t = performance.now();
        const go = batch(() => this.planWindow(from, Math.min(flags.length, from + per), onMissing));
        this.planMs += performance.now() - t;
        if (!go) return;
        this.wake();
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.done = true;
      this.wake();
    }
  }

  /** queue the extents of blocks [from, to); false when a missing chunk ends the plan */
  private planWindow(from: number, to: number, onMissing: (block: number) => boolean): boolean {
    const { flags, blockSize, size, hashes } = this.input;
    const wanted: number[] = [];
    const locs = new Map<number, ChunkLocation>();
    for (let i = from; i < to; i++) {
      if (flags[i]! & FLAG_ZERO || this.input.damaged.has(i)) {
        this.holeBytes += blockLength(i, blockSize, size);
        continue;
      }
      const loc = this.input.locate(hashes.subarray(i * 32, i * 32 + 32));
      if (loc) {
        locs.set(i, loc);
        wanted.push(i);
        continue;
      }
      this.missing.push(i);
      if (!onMissing(i)) return false;
      this.holeBytes += blockLength(i, blockSize, size);
    }
    const extents = planExtents(chunksOf(wanted, hashes, (b) => locs.get(b)), this.limits);
    if (extents.length === 0) return true;
    const index = Math.floor(from / this.windowBlocks);
    for (const x of extents) x.window = index;
    this.windows.set(index, { index, from, to, extents: extents.length, data: wanted });
    this.queue.push(...extents);
    return true;
  }

  /** The next extent to read, waiting for the planner; null once everything is planned. */
  async next(): Promise<PlannedExtent | null> {
    for (;;) {
      const x = this.queue.shift();
      if (x) return x;
      if (this.done) return null;
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}
