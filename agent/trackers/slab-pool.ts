// Shared-memory slabs that blocks read over NBD land in, kept mapped between batches and
// jobs. The first touch of fresh memory costs a page fault per 4 KiB page, and on a VM that
// is slow (2-12 µs each on the 2-core bench machine: 60-300 ms for the 100 MiB of a 5%
// incremental of 2 GiB, more than reading those bytes over NBD). Slabs given back stay
// mapped for the next batch or job, up to `idleLimit` of them.

export class SlabPool {
  private readonly idle: Buffer[] = [];
  private readonly idleSet = new Set<Buffer>();
  /** fresh slabs whose pages another thread is touching, handed out in order (prepare) */
  private readonly coming: { slab: Buffer; touched: Promise<unknown> }[] = [];

  constructor(
    readonly slabBytes: number,
    /** slabs kept mapped while nobody uses them */
    readonly idleLimit: number,
    /** touch a new slab's pages on the taking thread; false: the thread that fills it faults them in */
    readonly touchFresh = true,
  ) {}

  /** A slab of at least `bytes` (shared: workers see it without a copy); larger than a slab: a fresh buffer that is not pooled. */
  take(bytes = this.slabBytes): Buffer {
    if (bytes > this.slabBytes) return Buffer.from(new SharedArrayBuffer(bytes));
    const slab = this.idle.pop();
    if (!slab) return this.touchFresh ? mapped(Buffer.from(new SharedArrayBuffer(this.slabBytes))) : Buffer.from(new SharedArrayBuffer(this.slabBytes));
    this.idleSet.delete(slab);
    return slab;
  }

  /**
   * Have `n` slabs ready for the next `takeReady`s: the pool's idle ones, and fresh ones whose
   * pages `touch` faults in on another thread (a worker) while the caller starts on the first.
   * A job that needs more slabs than the pool keeps (the first after the agent starts, or after a
   * full) then does not fault every page on its own thread, one slab after another.
   */
  prepare(n: number, touch: (slab: Buffer) => Promise<unknown>): void {
    for (let k = this.idle.length + this.coming.length; k < Math.min(n, this.idleLimit); k++) {
      const slab = Buffer.from(new SharedArrayBuffer(this.slabBytes));
      // a failed touch leaves the pages to fault where they are first written
      this.coming.push({ slab, touched: touch(slab).catch(() => undefined) });
    }
  }

  /** Like take, but a prepared slab once its pages are in. */
  async takeReady(bytes = this.slabBytes): Promise<Buffer> {
    if (bytes > this.slabBytes || this.idle.length > 0) return this.take(bytes);
    const c = this.coming.shift();
    if (!c) return this.take(bytes);
    await c.touched;
    return c.slab;
  }

  /** Prepared slabs nobody took go to the idle ones (once touched). */
  async settle(): Promise<void> {
    while (this.coming.length > 0) {
      const c = this.coming.shift()!;
      await c.touched;
      this.give(c.slab);
    }
  }

  /** Nobody reads or writes `slab` any more. */
  give(slab: Buffer): void {
    if (slab.byteLength !== this.slabBytes || slab.byteOffset !== 0 || this.idleSet.has(slab) || this.idle.length >= this.idleLimit) return;
    this.idle.push(slab);
    this.idleSet.add(slab);
  }

  /** Unmap the idle slabs beyond `keep` (after a job that needed many: the agent stays small between jobs). */
  trim(keep = 0): void {
    while (this.idle.length > keep) this.idleSet.delete(this.idle.pop()!);
  }

  get idleCount(): number {
    return this.idle.length;
  }
}

/**
 * Touch every page of a new slab now: a batch cut short (by a zero run, or the end of the
 * volume) fills only part of its slab, and the next job to get that slab from the pool
 * would fault on the rest.
 */
function mapped(slab: Buffer): Buffer {
  touchPages(slab);
  return slab;
}

/** Write one byte per 4 KiB page of fresh memory, so that its page faults happen here (whichever thread calls it). */
export function touchPages(mem: Uint8Array): void {
  for (let o = 0; o < mem.length; o += 4096) mem[o] = 0;
}
