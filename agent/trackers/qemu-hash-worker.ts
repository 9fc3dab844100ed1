// Worker thread of the qemu-dirty-bitmap tracker: hashes a batch of blocks read over NBD
// (xxh3 for the next base, sha256 for the changed ones), detects zero blocks, and hands the
// changed blocks back as separate buffers so they can go on to the send workers untouched.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { createXXHash3, type IHasher } from 'hash-wasm';

export interface HashTask {
  /** `count` blocks at a stride of `blockSize`; the last one `lastLen` bytes long */
  data: Uint8Array;
  blockSize: number;
  count: number;
  lastLen: number;
  /** xxh3 of the same blocks in the base generation (8 bytes each): only differing blocks count as changed; null: all do */
  prev: Uint8Array | null;
  /** keep the changed blocks' bytes (to send them without reading again) */
  keep: boolean;
}

export interface HashResult {
  xxh: Uint8Array;
  /** per block: 1 when changed */
  changed: Uint8Array;
  /** per changed block */
  zero: Uint8Array;
  sha: Uint8Array;
  blocks: Uint8Array[];
}

let hasher: IHasher | null = null;

export async function hashBatch(t: HashTask): Promise<HashResult> {
  hasher ??= await createXXHash3();
  const data = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const xxh = Buffer.alloc(t.count * 8);
  const changed = new Uint8Array(t.count);
  const zero: number[] = [];
  const shas: Buffer[] = [];
  const blocks: Uint8Array[] = [];
  const zeroBlock = Buffer.alloc(t.blockSize);
  for (let k = 0; k < t.count; k++) {
    const len = k === t.count - 1 ? t.lastLen : t.blockSize;
    const block = data.subarray(k * t.blockSize, k * t.blockSize + len);
    const h = Buffer.from(hasher.init().update(block).digest('binary'));
    h.copy(xxh, k * 8);
    if (t.prev && Buffer.compare(h, Buffer.from(t.prev.buffer, t.prev.byteOffset + k * 8, 8)) === 0) continue;
    changed[k] = 1;
    zero.push(block.equals(zeroBlock.subarray(0, len)) ? 1 : 0);
    shas.push(createHash('sha256').update(block).digest());
    if (t.keep) blocks.push(new Uint8Array(block)); // a copy with a buffer of its own: transferable
  }
  return { xxh, changed, zero: Uint8Array.from(zero), sha: new Uint8Array(Buffer.concat(shas)), blocks };
}

parentPort?.on('message', (m: { id: number; task: HashTask }) => {
  hashBatch(m.task).then(
    (result) => parentPort!.postMessage({ id: m.id, result }, result.blocks.map((b) => b.buffer as ArrayBuffer)),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
