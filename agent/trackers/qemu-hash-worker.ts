// Worker thread of the qemu-dirty-bitmap tracker: sha256 of a batch of blocks read over
// NBD into shared memory, zero detection, and (when it must scan) which blocks differ from
// the base generation's sha256 list.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { touchPages } from './slab-pool.js';

export interface HashTask {
  /** `count` blocks at a stride of `blockSize`, the last one `lastLen` bytes long (shared memory: not copied) */
  data: Uint8Array;
  blockSize: number;
  count: number;
  lastLen: number;
  /** sha256 of the same blocks in the base generation (32 bytes each): only differing blocks count as changed; null: all do */
  prev: Uint8Array | null;
}

/** Fault in every page of fresh shared memory (4 KiB apart) so that the main thread's reads into it do not. */
export interface TouchTask {
  touch: Uint8Array;
}

export interface HashResult {
  /** per block: 1 when changed */
  changed: Uint8Array;
  /** per changed block: 1 when all zero */
  zero: Uint8Array;
  /** per changed block: sha256 */
  sha: Uint8Array;
  /** ms spent on this batch */
  ms: number;
}

let zeroBuf = Buffer.alloc(0);
function zeros(len: number): Buffer {
  if (zeroBuf.length < len) zeroBuf = Buffer.alloc(len);
  return zeroBuf;
}

export function hashBatch(t: HashTask): HashResult {
  const t0 = performance.now();
  const data = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const prev = t.prev ? Buffer.from(t.prev.buffer, t.prev.byteOffset, t.prev.byteLength) : null;
  const changed = new Uint8Array(t.count);
  const zero: number[] = [];
  const sha = Buffer.allocUnsafe(t.count * 32);
  const zeroBlock = zeros(t.blockSize);
  let n = 0;
  for (let k = 0; k < t.count; k++) {
    const len = k === t.count - 1 ? t.lastLen : t.blockSize;
    const block = data.subarray(k * t.blockSize, k * t.blockSize + len);
    const h = createHash('sha256').update(block).digest();
    if (prev && prev.compare(h, 0, 32, k * 32, k * 32 + 32) === 0) continue;
    changed[k] = 1;
    zero.push(block.equals(zeroBlock.subarray(0, len)) ? 1 : 0);
    h.copy(sha, n * 32);
    n++;
  }
  return { changed, zero: Uint8Array.from(zero), sha: new Uint8Array(sha.subarray(0, n * 32)), ms: performance.now() - t0 };
}

parentPort?.on('message', (m: { id: number; task: HashTask | TouchTask }) => {
  try {
    if ('touch' in m.task) {
      touchPages(m.task.touch);
      parentPort!.postMessage({ id: m.id, result: null });
      return;
    }
    parentPort!.postMessage({ id: m.id, result: hashBatch(m.task) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
