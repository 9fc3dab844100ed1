// Random reads of one volume at one recovery point for NBD exports: blocks are read from the
// packs, decoded and hash-checked by the shared worker pool (never on the hub's event loop),
// kept in a small cache of decoded blocks, and read ahead when the reads are sequential.
// Blocks are decoded into a ring of shared memory (decode-ring.ts) and served from it as they
// are: a read pins what it returns until its reply is sent.
// A chunk that fails its check is marked damaged and fails the read with its block named.
import type { ChunkLocation } from '../catalog/catalog.js';
import type { BlockMap, BlockStore } from './block-store.js';
import { chunkPool, type Priority } from './chunk-pool.js';
import { DecodeRing, type RingRegion } from './decode-ring.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO } from './manifest.js';
import { chunksOf, hashesOf, planExtents, type ExtentLimits, type PlannedExtent } from './read-plan.js';

/** The bytes of a read as views of decoded blocks; `release` once they are sent. */
export interface PinnedRead {
  parts: Buffer[];
  release: () => void;
}

export interface PointReaderOptions {
  /** decoded blocks kept (bytes) */
  cacheBytes?: number;
  /** how far past a sequential read to decode ahead (bytes) */
  readAheadBytes?: number;
  /** shared memory blocks are decoded into (bytes); by default the cache, two read-ahead windows and a few jobs */
  ringBytes?: number;
}

// small jobs for a request, so its blocks are decoded by all the workers at once; bigger ones
// for reading ahead, fewer messages
const EXTENT: Record<Priority, ExtentLimits> = {
  interactive: { maxBytes: 512 << 10, maxRawBytes: 256 << 10, maxGap: 64 << 10 },
  bulk: { maxBytes: 4 << 20, maxRawBytes: 4 << 20, maxGap: 64 << 10 },
};

export class PointReader {
  readonly size: number;
  readonly blockSize: number;
  private locator: (hash: Buffer) => ChunkLocation | undefined;
  /** undefined: not looked up yet; null: not in the index */
  private readonly locs: (ChunkLocation | null | undefined)[];
  /** decoded, verified blocks; Map order is the LRU order */
  private readonly cache = new Map<number, Buffer>();
  private readonly maxCached: number;
  private readonly readAheadBlocks: number;
  private readonly pending = new Map<number, Promise<Buffer>>();
  /** the block after the end of the last read: a read starting there is sequential */
  private sequentialFrom = -1;
  private zeros: Buffer | null = null;
  /** the last block read ahead */
  private aheadTo = -1;
  /** the read-ahead window: it starts small and doubles while the reads stay sequential */
  private window = 1;
  private readonly firstWindow: number;
  private readonly ring: DecodeRing;
  /** the ring region of each block decoded (or being decoded) into the ring */
  private readonly regionOf = new Map<number, RingRegion>();

  constructor(
    private readonly store: BlockStore,
    private readonly map: BlockMap,
    private readonly volume: string,
    o: PointReaderOptions = {},
  ) {
    this.size = map.point.size;
    this.blockSize = map.point.blockSize;
    this.locator = store.catalog.chunkLocator();
    this.locs = new Array(map.point.blockCount);
    this.maxCached = Math.max(4, Math.floor((o.cacheBytes ?? 64 << 20) / this.blockSize));
    this.readAheadBlocks = Math.max(1, Math.floor((o.readAheadBytes ?? 16 << 20) / this.blockSize));
    this.firstWindow = this.window = Math.min(this.readAheadBlocks, Math.max(1, Math.floor((256 << 10) / this.blockSize)));
    // the cache, a read-ahead window and the jobs and replies in flight
    const ringBytes = o.ringBytes ?? (this.maxCached + 2 * this.readAheadBlocks) * this.blockSize + EXTENT.bulk.maxRawBytes * 4;
    this.ring = new DecodeRing(ringBytes, (r) => {
      for (const b of r.blocks) {
        if (this.regionOf.get(b) !== r) continue;
        this.regionOf.delete(b);
        this.cache.delete(b);
      }
    });
  }

  /** the ring's memory when a read has made it (tests) */
  decodeMemory(): SharedArrayBuffer | null {
    return this.ring.made;
  }

  isZero(block: number): boolean {
    return (this.map.flags[block]! & FLAG_ZERO) !== 0;
  }

  private hash(block: number): Buffer {
    return this.map.hashes.subarray(block * 32, block * 32 + 32);
  }

  private locate(block: number): ChunkLocation | undefined {
    let loc = this.locs[block];
    if (loc === undefined) {
      loc = this.locator(this.hash(block)) ?? null;
      // a pack made after the locator was (gc moved the chunk): a fresh locator knows it
      if (loc && loc.packName === undefined) {
        this.locator = this.store.catalog.chunkLocator();
        loc = this.locator(this.hash(block)) ?? null;
      }
      this.locs[block] = loc;
    }
    return loc ?? undefined;
  }

  /** bytes [offset, offset+length); rejects with the block named when a chunk is damaged */
  async read(offset: number, length: number): Promise<Buffer> {
    const r = await this.readPinned(offset, length);
    try {
      return Buffer.concat(r.parts, length);
    } finally {
      r.release();
    }
  }

  /**
   * The same bytes as views of the decoded blocks, in order (nothing copied): a reply is
   * written from them as they are, and `release` called once it is sent.
   */
  async readPinned(offset: number, length: number): Promise<PinnedRead> {
    if (length === 0) return { parts: [], release: () => undefined };
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    const blocks = this.fetch(first, last, 'interactive');
    if (first === this.sequentialFrom || (first < this.sequentialFrom && this.sequentialFrom <= last + 1)) {
      // read ahead in big steps (few, large jobs): once half the window is used, refill it;
      // the window doubles with each block the reads move on to
      if (first === this.sequentialFrom) this.window = Math.min(this.readAheadBlocks, this.window * 2);
      const from = Math.max(last + 1, this.aheadTo + 1);
      const end = Math.min(this.map.point.blockCount - 1, last + this.window);
      if (end - from + 1 >= this.window / 2 || (end === this.map.point.blockCount - 1 && end >= from)) {
        for (const p of this.fetch(from, end, 'bulk').values()) p.catch(() => undefined);
        this.aheadTo = end;
      }
    } else {
      // a jump: read ahead from here once the reads go on from it
      this.aheadTo = last;
      this.window = this.firstWindow;
    }
    this.sequentialFrom = last + 1;
    // pinned now, before anything else can hand the ring's memory out again
    const pinned = new Set<RingRegion>();
    for (let b = first; b <= last; b++) {
      const r = this.regionOf.get(b);
      if (r && !pinned.has(r)) {
        r.pins++;
        pinned.add(r);
      }
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const r of pinned) r.pins--;
    };
    try {
      const parts: Buffer[] = [];
      for (let b = first; b <= last; b++) {
        const start = b * this.blockSize;
        const p = blocks.get(b);
        const data = p ? await p : (this.zeros ??= Buffer.alloc(this.blockSize));
        const from = Math.max(offset, start);
        const to = Math.min(offset + length, start + this.blockSize);
        parts.push(data.subarray(from - start, to - start));
      }
      return { parts, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** the decoded blocks of [first, last] (zero blocks left out), reading what is not cached or on its way */
  private fetch(first: number, last: number, prio: Priority): Map<number, Promise<Buffer>> {
    const got = new Map<number, Promise<Buffer>>();
    const missing: number[] = [];
    for (let b = first; b <= last; b++) {
      if (this.isZero(b)) continue;
      const hit = this.cache.get(b);
      if (hit) {
        this.cache.delete(b);
        this.cache.set(b, hit);
        got.set(b, Promise.resolve(hit));
        continue;
      }
      const p = this.pending.get(b);
      if (p) got.set(b, p);
      else missing.push(b);
    }
    if (missing.length === 0) return got;
    const lost = missing.filter((b) => !this.locate(b));
    for (const b of lost) {
      const message = `volume ${this.volume} block ${b}: chunk ${this.hash(b).toString('hex').slice(0, 16)} is not in the index`;
      this.store.damage.mark(Buffer.from(this.hash(b)), message);
      const p = Promise.reject(new StoreError(message));
      p.catch(() => undefined);
      got.set(b, p);
    }
    const chunks = chunksOf(
      missing.filter((b) => this.locs[b]),
      this.map.hashes,
      (b) => this.locate(b),
    );
    for (const x of planExtents(chunks, EXTENT[prio])) {
      const region = this.ring.alloc(x.rawBytes);
      if (region) {
        for (const c of x.chunks) {
          for (const b of c.dests) {
            region.blocks.push(b);
            this.regionOf.set(b, region);
          }
        }
      }
      const whole = this.readExtent(x, prio, region);
      x.chunks.forEach((c, k) => {
        for (const b of c.dests) {
          const p = whole.then((bufs) => bufs[k]!);
          p.catch(() => undefined);
          this.pending.set(b, p);
          got.set(b, p);
        }
      });
      whole.then(
        (bufs) => {
          if (region) region.pins--;
          x.chunks.forEach((c, k) => {
            for (const b of c.dests) {
              this.pending.delete(b);
              this.remember(b, bufs[k]!);
            }
          });
        },
        () => {
          for (const c of x.chunks) {
            for (const b of c.dests) {
              this.pending.delete(b);
              if (region && this.regionOf.get(b) === region) this.regionOf.delete(b);
            }
          }
          if (region) {
            region.pins--;
            this.ring.discard(region);
          }
        },
      );
    }
    return got;
  }

  private remember(block: number, data: Buffer): void {
    this.cache.set(block, data);
    while (this.cache.size > this.maxCached) {
      const old = this.cache.keys().next().value!;
      this.cache.delete(old);
      this.regionOf.delete(old);
    }
  }

  /** one extent through the worker pool: its chunks decoded and checked, in order, into `region` of the ring when given */
  private async readExtent(x: PlannedExtent, prio: Priority, region: RingRegion | null): Promise<Buffer[]> {
    const file = await this.store.acquirePack(x.packName);
    try {
      const key = this.store.packKey(x.packName);
      const r = await chunkPool().run(
        {
          pack: file,
          offset: x.offset,
          length: x.length,
          hashes: hashesOf(x),
          ...(key ? { key: new Uint8Array(key) } : {}),
          ...(region ? { into: { buffer: this.ring.shared, offset: region.start } } : {}),
          chunks: x.chunks.map((c) => ({ at: c.loc.offset - x.offset, length: c.loc.length, codec: c.loc.codec, rawLength: c.loc.rawLength, dests: [] })),
        },
        prio,
      );
      if (!r.ok) {
        const c = x.chunks[Math.max(0, r.chunk)]!;
        const message = `volume ${this.volume} block ${c.dests[0]}: ${r.message}`;
        this.store.damage.mark(Buffer.from(c.hash), message);
        throw new StoreError(message);
      }
      const all = region ? this.ring.view(region.start, x.rawBytes) : Buffer.from(r.data!);
      const out: Buffer[] = [];
      let at = 0;
      for (const c of x.chunks) {
        out.push(all.subarray(at, at + c.loc.rawLength));
        at += c.loc.rawLength;
      }
      return out;
    } finally {
      this.store.releasePack(x.packName);
    }
  }

  /** extents of [offset, offset+length) as (length, flags) pairs: zero blocks are holes */
  extents(offset: number, length: number): { length: number; flags: number }[] {
    const out: { length: number; flags: number }[] = [];
    let at = offset;
    const end = Math.min(this.size, offset + length);
    while (at < end) {
      const block = Math.floor(at / this.blockSize);
      const n = Math.min((block + 1) * this.blockSize, end) - at;
      const flags = this.isZero(block) ? 3 : 0;
      const last = out[out.length - 1];
      if (last && last.flags === flags) last.length += n;
      else out.push({ length: n, flags });
      at += n;
    }
    return out;
  }
}
