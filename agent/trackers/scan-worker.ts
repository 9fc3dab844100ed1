// Worker thread of the scan tracker: reads a range of blocks, hashes each with xxh3 and,
// for changed blocks, with sha256. Zero blocks are detected with one memcmp.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createXXHash3, type IHasher } from 'hash-wasm';

export interface ScanTask {
  path: string;
  blockSize: number;
  size: number;
  start: number;
  end: number;
  /** previous xxh3 per block of this range (8 bytes each), or null = everything changed */
  prev: Uint8Array | null;
  /** compute sha256 of changed blocks (not needed for a live watch) */
  wantSha: boolean;
}

export interface ScanResult {
  start: number;
  xxh: Uint8Array;
  changed: Uint32Array;
  zero: Uint8Array;
  sha: Uint8Array;
  bytesRead: number;
}

const READ_BYTES = 4 * 1024 * 1024;
let hasher: IHasher | null = null;

async function scan(t: ScanTask): Promise<ScanResult> {
  hasher ??= await createXXHash3();
  const count = t.end - t.start;
  const xxh = Buffer.alloc(count * 8);
  const changed: number[] = [];
  const zero: number[] = [];
  const shas: Buffer[] = [];
  const perRead = Math.max(1, Math.floor(READ_BYTES / t.blockSize));
  const buf = Buffer.allocUnsafe(perRead * t.blockSize);
  const zeroBlock = Buffer.alloc(t.blockSize);
  const zeroXxh = Buffer.from(hasher.init().update(zeroBlock).digest('binary'));
  const zeroSha = createHash('sha256').update(zeroBlock).digest();
  const prev = t.prev ? Buffer.from(t.prev.buffer, t.prev.byteOffset, t.prev.byteLength) : null;
  const fd = fs.openSync(t.path, 'r');
  let bytesRead = 0;
  try {
    for (let b = t.start; b < t.end; b += perRead) {
      const n = Math.min(perRead, t.end - b);
      const want = Math.min(n * t.blockSize, t.size - b * t.blockSize);
      let got = 0;
      while (got < want) {
        const r = fs.readSync(fd, buf, got, want - got, b * t.blockSize + got);
        if (r === 0) break;
        got += r;
      }
      if (got < want) buf.fill(0, got, want); // file shrank while scanning: treat the tail as zeros
      bytesRead += want;
      for (let k = 0; k < n; k++) {
        const i = b + k;
        const len = Math.min(t.blockSize, t.size - i * t.blockSize);
        const block = buf.subarray(k * t.blockSize, k * t.blockSize + len);
        const isZero = len === t.blockSize ? block.equals(zeroBlock) : block.equals(zeroBlock.subarray(0, len));
        const h = isZero && len === t.blockSize ? zeroXxh : Buffer.from(hasher.init().update(block).digest('binary'));
        const o = (i - t.start) * 8;
        h.copy(xxh, o);
        if (prev && prev.length >= o + 8 && prev.compare(h, 0, 8, o, o + 8) === 0) continue;
        changed.push(i);
        zero.push(isZero ? 1 : 0);
        if (t.wantSha) shas.push(isZero && len === t.blockSize ? zeroSha : createHash('sha256').update(block).digest());
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return { start: t.start, xxh, changed: Uint32Array.from(changed), zero: Uint8Array.from(zero), sha: Buffer.concat(shas), bytesRead };
}

parentPort?.on('message', (msg: { id: number; task: ScanTask }) => {
  scan(msg.task).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
