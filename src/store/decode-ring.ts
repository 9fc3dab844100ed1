// Memory an NBD export's blocks are decoded into: one SharedArrayBuffer that the pack-reader
// workers write into and the export's replies are sent from, handed out first in, first out.
// Reusing it saves faulting in a fresh buffer per decode job (as costly as the hashing).
// A region is pinned while a worker decodes into it and while a reply still sends its bytes;
// a pinned region is never handed out again, so no reply ever sends bytes that changed.

export interface RingRegion {
  readonly start: number;
  readonly end: number;
  pins: number;
  /** the blocks whose decoded bytes live here (dropped from the cache when the region is reused) */
  readonly blocks: number[];
}

export class DecodeRing {
  private buffer: SharedArrayBuffer | null = null;
  /** regions in the order they were handed out */
  private regions: RingRegion[] = [];
  private head = 0;

  /**
   * @param size bytes of the ring
   * @param onDrop a region is reused: forget the blocks that lived in it
   */
  constructor(
    readonly size: number,
    private readonly onDrop: (r: RingRegion) => void,
  ) {}

  /** the memory, if something has used it yet */
  get made(): SharedArrayBuffer | null {
    return this.buffer;
  }

  get shared(): SharedArrayBuffer {
    this.buffer ??= new SharedArrayBuffer(this.size);
    return this.buffer;
  }

  /**
   * `n` bytes, pinned once (for the decode), or null when the bytes after the last region are
   * still pinned (the caller decodes into a buffer of its own then).
   */
  alloc(n: number): RingRegion | null {
    if (n > this.size / 4) return null;
    const start = this.head + n <= this.size ? this.head : 0;
    const end = start + n;
    const over = this.regions.filter((r) => r.start < end && start < r.end);
    if (over.some((r) => r.pins > 0)) return null;
    if (over.length) {
      this.regions = this.regions.filter((r) => !over.includes(r));
      for (const r of over) this.onDrop(r);
    }
    const r: RingRegion = { start, end, pins: 1, blocks: [] };
    this.regions.push(r);
    this.head = end;
    return r;
  }

  /** a view of `length` bytes at `at` of the ring */
  view(at: number, length: number): Buffer {
    return Buffer.from(this.shared, at, length);
  }

  /** a region that failed to decode is free at once */
  discard(r: RingRegion): void {
    this.regions = this.regions.filter((x) => x !== r);
  }
}
