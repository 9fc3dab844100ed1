// Worker thread of the scan tracker: reads a range of blocks, hashes each with xxh3 and,
// for changed blocks, with sha256. Zero blocks are detected with one memcmp.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { createXXHash3, type IHasher } from 'hash-wasm';
import { readRuns } from './pread-full.js';

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

const READ_BYTES = 8 * 1024 * 1024;
let hasher: IHasher | null = null;
// kept between tasks: a scan is many tasks of one block size, and fresh memory costs page faults
let readBuf = Buffer.allocUnsafe(0);
let zeroBlock = Buffer.alloc(0);
let zeroHashes: { len: number; xxh: Uint8Array; sha: Buffer } | null = null;

async function scan(t: ScanTask): Promise<ScanResult> {
  hasher ??= await createXXHash3();
  const h = hasher;
  const bs = t.blockSize;
  const count = t.end - t.start;
  const xxh = new Uint8Array(count * 8);
  const changed: number[] = [];
  const zero: number[] = [];
  const shas: Buffer[] = [];
  const perRead = Math.max(1, Math.floor(READ_BYTES / bs));
  if (readBuf.length < perRead * bs) readBuf = Buffer.allocUnsafe(perRead * bs);
  if (zeroBlock.length < bs) zeroBlock = Buffer.alloc(bs);
  if (zeroHashes?.len !== bs) {
    const z = zeroBlock.subarray(0, bs);
    zeroHashes = { len: bs, xxh: h.init().update(z).digest('binary'), sha: createHash('sha256').update(z).digest() };
  }
  const zeroFull = zeroBlock.subarray(0, bs);
  const prev = t.prev;
  const zh = zeroHashes;
  const bytesRead = readRuns(t.path, readBuf, bs, perRead, t.start, t.end, t.size, (b, n) => {
    for (let k = 0; k < n; k++) {
      const i = b + k;
      const len = Math.min(bs, t.size - i * bs);
      const block = readBuf.subarray(k * bs, k * bs + len);
      const isZero = len === bs ? block.equals(zeroFull) : block.equals(zeroBlock.subarray(0, len));
      const o = (i - t.start) * 8;
      xxh.set(isZero && len === bs ? zh.xxh : h.init().update(block).digest('binary'), o);
      if (prev && prev.length >= o + 8 && sameHash(prev, xxh, o)) continue;
      changed.push(i);
      zero.push(isZero ? 1 : 0);
      if (t.wantSha) shas.push(isZero && len === bs ? zh.sha : createHash('sha256').update(block).digest());
    }
  });
  return { start: t.start, xxh, changed: Uint32Array.from(changed), zero: Uint8Array.from(zero), sha: Buffer.concat(shas), bytesRead };
}

/** the 8-byte hashes at `o` of both lists are equal */
function sameHash(a: Uint8Array, b: Uint8Array, o: number): boolean {
  for (let k = 0; k < 8; k++) if (a[o + k] !== b[o + k]) return false;
  return true;
}

parentPort?.on('message', (msg: { id: number; task: ScanTask }) => {
  scan(msg.task).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
