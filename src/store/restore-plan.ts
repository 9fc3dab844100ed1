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

// 64 MiB of blocks per window: a few milliseconds of lookups between two turns of the event loop
const WINDOW_BYTES = 64 << 20;

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

  constructor(
    private readonly input: PlanInput,
    private readonly limits: ExtentLimits,
  ) {}

  /**
   * Plan every window, yielding to the event loop between them; `stop()` true ends early (a
   * failure, a cancel). `onMissing` decides whether a block whose chunk is not in the index
   * ends the plan (false) or is left as zeros (true).
   */
  async run(stop: () => boolean, onMissing: (block: number) => boolean): Promise<void> {
    const { flags, blockSize } = this.input;
    const per = Math.max(256, Math.floor(WINDOW_BYTES / blockSize));
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
    this.queue.push(...planExtents(chunksOf(wanted, hashes, (b) => locs.get(b)), this.limits));
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
