// The uploader's frames, built in a block worker thread (block-worker.ts): reads the blocks the
// hub asked for, checks each against the scan's xxh3 (the source may have changed since),
// compresses it with zstd level 1 (unless it looks incompressible) and builds its binary
// frame. The main thread only sends.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createXXHash3, type IHasher } from 'hash-wasm';
import { frameBound, writeFrame } from './block-frames.js';

export interface SendItem {
  index: number;
  /** xxh3 (8 bytes) and sha256 (32 bytes) the scan saw */
  xxh: Uint8Array;
  sha: Uint8Array;
  /** the block's bytes when the tracker already holds them (read from a point-in-time view); else read from `path` */
  data?: Uint8Array;
}

export interface SendTask {
  path: string;
  blockSize: number;
  size: number;
  jobId: number;
  volumeIndex: number;
  items: SendItem[];
  /** shared memory for the frames (room for items × frameBound(blockSize)), reused by the caller once they are sent; else a buffer of the task's own */
  out?: Uint8Array;
}

export interface SendResult {
  frames: Uint8Array[];
  /** blocks whose content changed since the scan: their new sha256 */
  amended: { index: number; sha: Uint8Array }[];
}

let hasher: IHasher | null = null;

export async function build(t: SendTask): Promise<SendResult> {
  hasher ??= await createXXHash3();
  if (t.items.every((it) => it.data)) return buildFrom(-1, t, hasher);
  const fd = fs.openSync(t.path, 'r');
  try {
    return buildFrom(fd, t, hasher);
  } finally {
    fs.closeSync(fd);
  }
}

function buildFrom(fd: number, t: SendTask, hasher: IHasher): SendResult {
  const block = Buffer.allocUnsafe(t.blockSize);
  // every frame of the task in one buffer of its own (transferred to the main thread whole)
  const need = t.items.length * frameBound(t.blockSize);
  const out = t.out && t.out.byteLength >= need ? Buffer.from(t.out.buffer, t.out.byteOffset, t.out.byteLength) : Buffer.allocUnsafeSlow(need);
  let used = 0;
  const frames: Uint8Array[] = [];
  const amended: SendResult['amended'] = [];
  for (const it of t.items) {
    const len = Math.min(t.blockSize, t.size - it.index * t.blockSize);
    let data: Buffer;
    if (it.data) {
      data = Buffer.from(it.data.buffer, it.data.byteOffset, len);
    } else {
      const got = fs.readSync(fd, block, 0, len, it.index * t.blockSize);
      if (got < len) block.fill(0, got, len);
      data = block.subarray(0, len);
    }
    let hash: Uint8Array = it.sha;
    // a block the tracker handed over comes from a point-in-time view it hashed itself
    if (!it.data && !Buffer.from(hasher.init().update(data).digest('binary')).equals(Buffer.from(it.xxh.buffer, it.xxh.byteOffset, 8))) {
      hash = createHash('sha256').update(data).digest();
      amended.push({ index: it.index, sha: hash });
    }
    const n = writeFrame(out, used, { volumeIndex: t.volumeIndex, jobId: t.jobId, blockIndex: it.index, hash }, data);
    frames.push(out.subarray(used, used + n));
    used += n;
  }
  return { frames, amended };
}
