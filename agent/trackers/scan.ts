// The scan tracker: hashes every block of a volume in worker threads and compares each
// with the hash list of the last committed generation to produce the changed-block bitmap.
import { WorkerPool, workerUrl } from '../worker-pool.js';
import type { ScanResult, ScanTask } from './scan-worker.js';

export interface VolumeScan {
  blockSize: number;
  blockCount: number;
  size: number;
  /** xxh3 per block of the scanned image */
  xxh: Buffer;
  /** changed block indices, ascending */
  changed: number[];
  /** per changed block: 1 when all zero */
  zero: Uint8Array;
  /** per changed block: sha256 (32 bytes each) */
  sha: Buffer;
  bytesRead: number;
}

/** The scan tracker's worker threads. */
export class ScanPool extends WorkerPool<ScanTask, ScanResult> {
  constructor(size?: number) {
    super(workerUrl(import.meta.url, '../../dist/agent/trackers/scan-worker.js', './scan-worker.js'), size);
  }
}

/** Worker threads that read a full backup's blocks once: hashes and frames (full-upload.ts). */
export { fullReaders } from '../block-pool.js';

/** Scan a volume against `prevXxh` (null: every block counts as changed). */
export async function scanVolume(
  pool: ScanPool,
  path: string,
  size: number,
  blockSize: number,
  prevXxh: Buffer | null,
  wantSha = true,
): Promise<VolumeScan> {
  const blockCount = Math.ceil(size / blockSize);
  const parts = Math.max(1, Math.min(pool.size * 4, Math.ceil(blockCount / 64)));
  const tasks: ScanTask[] = [];
  for (let p = 0; p < parts; p++) {
    const start = Math.floor((p * blockCount) / parts);
    const end = Math.floor(((p + 1) * blockCount) / parts);
    if (end <= start) continue;
    const prev = prevXxh && prevXxh.length >= end * 8 ? prevXxh.subarray(start * 8, end * 8) : null;
    tasks.push({ path, blockSize, size, start, end, prev: prev ? new Uint8Array(prev) : null, wantSha });
  }
  const results = await Promise.all(tasks.map((t) => pool.run(t)));
  results.sort((a, b) => a.start - b.start);
  const xxh = Buffer.alloc(blockCount * 8);
  const changed: number[] = [];
  const zero: number[] = [];
  const shas: Buffer[] = [];
  let bytesRead = 0;
  for (const r of results) {
    Buffer.from(r.xxh.buffer, r.xxh.byteOffset, r.xxh.byteLength).copy(xxh, r.start * 8);
    for (const i of r.changed) changed.push(i);
    for (const z of r.zero) zero.push(z);
    shas.push(Buffer.from(r.sha.buffer, r.sha.byteOffset, r.sha.byteLength));
    bytesRead += r.bytesRead;
  }
  return { blockSize, blockCount, size, xxh, changed, zero: Uint8Array.from(zero), sha: Buffer.concat(shas), bytesRead };
}
