// A full backup's range in one pass, in a block worker thread (block-worker.ts): reads a range
// of blocks once (or takes the bytes a tracker read over NBD, in shared memory) and, per block,
// computes its xxh3 (the next incremental's base), its sha256 (content id), whether it is all
// zero and, unless it is, its frame, written into the caller's shared slab. The main thread offers the hashes and sends
// the frames the hub asks for; nothing is read twice, no frame is copied between threads.
import { createHash } from 'node:crypto';
import { createXXHash3, type IHasher } from 'hash-wasm';
import { frameBound, writeFrame } from '../block-frames.js';
import { readRuns } from './pread-full.js';

export interface FullTask {
  path: string;
  blockSize: number;
  size: number;
  start: number;
  end: number;
  jobId: number;
  volumeIndex: number;
  /** where the frames go (shared memory of the caller, at least frameBound(blockSize) per block) */
  out: Uint8Array;
  /** the range's bytes, already read (shared memory): nothing is read from `path` */
  data?: Uint8Array;
  /** false: no xxh3 (a tracker that does not compare them), the list stays zero */
  xxh3?: boolean;
  /** per block of the range, 1: known to be all zero (a hole), not read */
  known0?: Uint8Array;
}

export interface FullResult {
  start: number;
  /** per block: xxh3 (8 bytes), sha256 (32 bytes), 1 when all zero */
  xxh: Uint8Array;
  sha: Uint8Array;
  zero: Uint8Array;
  /** the frames of the range's non-zero blocks, back to back in the task's `out`; block k's is out[at[k]..at[k+1]] (empty when zero) */
  at: Uint32Array;
  bytesRead: number;
}

const READ_BYTES = 4 * 1024 * 1024;
let hasher: IHasher | null = null;
let readBuf = Buffer.allocUnsafe(0);
let zeroBlock = Buffer.alloc(0);
const zeroSha = new Map<number, Buffer>();
const zeroXxh = new Map<number, Buffer>();

function zeroHashes(len: number, h: IHasher): { sha: Buffer; xxh: Buffer } {
  let sha = zeroSha.get(len);
  let xxh = zeroXxh.get(len);
  if (!sha || !xxh) {
    const z = zeroBlock.subarray(0, len);
    sha = createHash('sha256').update(z).digest();
    xxh = Buffer.from(h.init().update(z).digest('binary'));
    zeroSha.set(len, sha);
    zeroXxh.set(len, xxh);
  }
  return { sha, xxh };
}

export async function readRange(t: FullTask): Promise<FullResult> {
  hasher ??= await createXXHash3();
  const h = hasher;
  const bs = t.blockSize;
  const count = t.end - t.start;
  const withXxh = t.xxh3 !== false;
  if (zeroBlock.length < bs) zeroBlock = Buffer.alloc(bs);
  // one view of a whole zero block for every full-size block (a view per block cost ~1 % of the thread)
  const zeroFull = zeroBlock.subarray(0, bs);
  const frames = Buffer.from(t.out.buffer, t.out.byteOffset, t.out.byteLength);
  if (frames.length < count * frameBound(bs)) throw new Error(`frame slab of ${frames.length} bytes is too small for ${count} blocks`);
  // not from the shared pool: a pooled view would be cloned with its whole pool
  const xxh = new Uint8Array(count * 8);
  const sha = Buffer.allocUnsafeSlow(count * 32);
  const zero = new Uint8Array(count);
  const at = new Uint32Array(count + 1);
  let used = 0;
  let bytesRead = 0;
  const hashAndFrame = (buf: Buffer, b: number, n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = b + k;
      const o = i - t.start;
      const len = Math.min(bs, t.size - i * bs);
      const block = buf.subarray(k * bs, k * bs + len);
      at[o] = used;
      if (block.equals(len === bs ? zeroFull : zeroBlock.subarray(0, len))) {
        const z = zeroHashes(len, h);
        if (withXxh) xxh.set(z.xxh, o * 8);
        z.sha.copy(sha, o * 32);
        zero[o] = 1;
        continue;
      }
      if (withXxh) xxh.set(h.init().update(block).digest('binary'), o * 8);
      const digest = createHash('sha256').update(block).digest();
      digest.copy(sha, o * 32);
      used += writeFrame(frames, used, { volumeIndex: t.volumeIndex, jobId: t.jobId, blockIndex: i, hash: digest }, block);
    }
  };
  if (t.data) {
    hashAndFrame(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), t.start, count);
    bytesRead = Math.min(t.end * bs, t.size) - t.start * bs;
  } else {
    const perRead = Math.max(1, Math.floor(READ_BYTES / bs));
    if (readBuf.length < perRead * bs) readBuf = Buffer.allocUnsafe(perRead * bs);
    const known0 = t.known0;
    for (let b = t.start; b < t.end; ) {
      // runs of blocks to read, between the blocks known to be zero
      let e = b;
      while (e < t.end && !known0?.[e - t.start]) e++;
      if (e > b) bytesRead += readRuns(t.path, readBuf, bs, perRead, b, e, t.size, (f, n) => hashAndFrame(readBuf, f, n));
      for (b = e; b < t.end && known0?.[b - t.start]; b++) {
        const o = b - t.start;
        const z = zeroHashes(Math.min(bs, t.size - b * bs), h);
        at[o] = used;
        if (withXxh) xxh.set(z.xxh, o * 8);
        z.sha.copy(sha, o * 32);
        zero[o] = 1;
      }
    }
  }
  at[count] = used;
  return { start: t.start, xxh, sha, zero, at, bytesRead };
}
