// Reads the blocks a plan names from an NBD export (the point-in-time view) in batches of a
// few MiB of shared memory, contiguous blocks in one request, several batches in flight, and
// hashes each batch in worker threads. Blocks known to be zero (base:allocation) are not
// read at all. Changed blocks stay in their batch's memory for the send workers.
import type { Extent } from '../../src/protocol/nbd/protocol.js';
import { WorkerPool, workerUrl } from '../worker-pool.js';
import type { HashResult, HashTask, TouchTask } from './qemu-hash-worker.js';
import { SlabPool } from './slab-pool.js';

/** Block ranges, ascending and disjoint. */
export interface BlockRange {
  first: number;
  count: number;
}

/** Blocks touched by extents having any of `flags` (`whole`: only blocks they cover entirely). */
export function blocksOf(extents: Extent[], flags: number, blockSize: number, size: number, whole: boolean): BlockRange[] {
  const out: BlockRange[] = [];
  for (const e of extents) {
    if (!(e.flags & flags) || e.length === 0) continue;
    const end = Math.min(size, e.offset + e.length);
    let first = whole ? Math.ceil(e.offset / blockSize) : Math.floor(e.offset / blockSize);
    let last = whole ? (end === size ? Math.ceil(end / blockSize) : Math.floor(end / blockSize)) - 1 : Math.ceil(end / blockSize) - 1;
    if (last < first) continue;
    const prev = out[out.length - 1];
    if (prev && prev.first + prev.count >= first) {
      first = prev.first;
      last = Math.max(last, prev.first + prev.count - 1);
      out.pop();
    }
    out.push({ first, count: last - first + 1 });
  }
  return out;
}

export interface ReadPlan {
  blockSize: number;
  size: number;
  /** blocks to look at */
  examine: BlockRange[];
  /** blocks known to be all zero: not read */
  zero: BlockRange[];
  /** sha256 of every block of the base generation: a block counts as changed only when it differs; null: every examined block is changed */
  compareWith: Buffer | null;
  /** bytes of changed blocks to keep in memory for sending */
  keepBytes: number;
  /** sha256 of an all-zero block of `len` bytes */
  zeroSha(len: number): Buffer;
  read(offset: number, length: number, into: Buffer): Promise<unknown>;
}

export interface ReadOutcome {
  changed: number[];
  zero: Uint8Array;
  sha: Buffer;
  kept: Map<number, Uint8Array>;
  /** the slabs `kept` lies in: give them back to `readSlabs` once the blocks are sent */
  slabs: Buffer[];
  bytesRead: number;
  /** ms from the start until the last read finished */
  readsDoneMs: number;
  /** ms the hash workers spent, added up */
  hashMs: number;
}

type Unit = { kind: 'zero'; first: number; count: number } | { kind: 'batch'; indices: number[]; data?: Buffer; result?: HashResult };

const BATCH_BYTES = 4 * 1024 * 1024;
const BATCHES_IN_FLIGHT = 8;
/** batches' memory, kept mapped for the next job up to 128 MiB (see slab-pool.ts) */
export const readSlabs = new SlabPool(BATCH_BYTES, 32);
const hashers = new WorkerPool<HashTask | TouchTask, HashResult | null>(workerUrl(import.meta.url, '../../dist/agent/trackers/qemu-hash-worker.js', './qemu-hash-worker.js'));

/** Boot the hash workers ahead of the first backup (a worker takes tens of milliseconds to start). */
export function warmHashers(): void {
  hashers.warm();
}

/** Split the examined blocks into zero runs and batches to read, in block order. */
export function* unitsOf(plan: Pick<ReadPlan, 'blockSize' | 'examine' | 'zero'>): Generator<Unit> {
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / plan.blockSize));
  let batch: number[] = [];
  let z = 0;
  for (const r of plan.examine) {
    for (let i = r.first; i < r.first + r.count; ) {
      while (z < plan.zero.length && plan.zero[z]!.first + plan.zero[z]!.count <= i) z++;
      const zr = plan.zero[z];
      if (zr && zr.first <= i) {
        const count = Math.min(zr.first + zr.count, r.first + r.count) - i;
        if (batch.length) yield { kind: 'batch', indices: batch };
        batch = [];
        yield { kind: 'zero', first: i, count };
        i += count;
        continue;
      }
      batch.push(i++);
      if (batch.length === perBatch) {
        yield { kind: 'batch', indices: batch };
        batch = [];
      }
    }
  }
  if (batch.length) yield { kind: 'batch', indices: batch };
}

/**
 * Read these blocks (ascending) into a slab of `readSlabs` at a stride of the block size;
 * contiguous ones in one request. The caller gives `slab` back when nobody needs `buf`.
 */
export async function readBatch(plan: Pick<ReadPlan, 'blockSize' | 'size' | 'read'>, indices: number[]): Promise<{ buf: Buffer; slab: Buffer; lastLen: number }> {
  const bs = plan.blockSize;
  // shared: the hash and send workers see these bytes without a copy
  const slab = await readSlabs.takeReady(indices.length * bs);
  const buf = slab.subarray(0, indices.length * bs);
  const reads: Promise<unknown>[] = [];
  const lastLen = Math.min(bs, plan.size - indices[indices.length - 1]! * bs);
  for (let k = 0; k < indices.length; ) {
    let n = 1;
    while (k + n < indices.length && indices[k + n] === indices[k]! + n) n++;
    const len = (n - 1) * bs + (k + n === indices.length ? lastLen : bs);
    reads.push(plan.read(indices[k]! * bs, len, buf.subarray(k * bs, k * bs + len)));
    k += n;
  }
  await Promise.all(reads);
  return { buf, slab, lastLen };
}

export async function readPlan(plan: ReadPlan): Promise<ReadOutcome> {
  const bs = plan.blockSize;
  const units: Unit[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let bytesRead = 0;
  let keepLeft = plan.keepBytes;
  const slabs: Buffer[] = [];
  const start = performance.now();
  let readsDone = start;
  let hashMs = 0;
  // slabs the pool does not hold yet are faulted in by the hash workers, ahead of the reads
  let batches = 0;
  for (const u of unitsOf(plan)) if (u.kind === 'batch') batches++;
  readSlabs.prepare(Math.min(batches, Math.ceil(plan.keepBytes / BATCH_BYTES) + BATCHES_IN_FLIGHT), (slab) => hashers.run({ touch: slab }));
  for (const u of unitsOf(plan)) {
    units.push(u);
    if (u.kind !== 'batch') continue;
    const keep = keepLeft > 0;
    keepLeft -= u.indices.length * bs;
    const p = (async () => {
      const { buf, slab, lastLen } = await readBatch(plan, u.indices);
      bytesRead += (u.indices.length - 1) * bs + lastLen;
      readsDone = Math.max(readsDone, performance.now());
      const prev = plan.compareWith ? Buffer.concat(u.indices.map((i) => plan.compareWith!.subarray(i * 32, i * 32 + 32))) : null;
      const task: HashTask = { data: buf, blockSize: bs, count: u.indices.length, lastLen, prev: prev && prev.length === u.indices.length * 32 ? prev : null };
      u.result = (await hashers.run(task))!;
      hashMs += u.result.ms;
      if (keep) {
        u.data = buf;
        slabs.push(slab);
      } else {
        readSlabs.give(slab);
      }
    })().catch((e: unknown) => void (failure ??= e));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= BATCHES_IN_FLIGHT) await Promise.race(inflight);
    if (failure) break;
  }
  await Promise.all(inflight);
  await readSlabs.settle();
  if (failure) throw failure;

  const changed: number[] = [];
  const zero: number[] = [];
  const shas: Buffer[] = [];
  const kept = new Map<number, Uint8Array>();
  for (const u of units) {
    if (u.kind === 'zero') {
      for (let i = u.first; i < u.first + u.count; i++) {
        const z = plan.zeroSha(Math.min(bs, plan.size - i * bs));
        const was = plan.compareWith && plan.compareWith.length >= i * 32 + 32 ? plan.compareWith.subarray(i * 32, i * 32 + 32) : null;
        if (was && was.equals(z)) continue;
        changed.push(i);
        zero.push(1);
        shas.push(z);
      }
      continue;
    }
    const r = u.result!;
    const sha = Buffer.from(r.sha.buffer, r.sha.byteOffset, r.sha.byteLength);
    let c = 0;
    u.indices.forEach((i, k) => {
      if (!r.changed[k]) return;
      changed.push(i);
      zero.push(r.zero[c]!);
      shas.push(sha.subarray(c * 32, c * 32 + 32));
      if (u.data && !r.zero[c]) kept.set(i, u.data.subarray(k * bs, Math.min((k + 1) * bs, k * bs + plan.size - i * bs)));
      c++;
    });
  }
  return { changed, zero: Uint8Array.from(zero), sha: Buffer.concat(shas), kept, slabs, bytesRead, readsDoneMs: readsDone - start, hashMs };
}
