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

/** One scanned range of blocks (start..end), handed over in ascending order as soon as it and every range before it are done. */
export interface ScannedRange {
  start: number;
  end: number;
  /** xxh3 of each block of the range (8 bytes each) */
  xxh: Uint8Array;
  /** changed block indices of the range, ascending */
  changed: ArrayLike<number>;
  /** per changed block: 1 when all zero */
  zero: Uint8Array;
  /** per changed block: sha256 (32 bytes each) */
  sha: Uint8Array;
}

/** a streamed scan's ranges: small enough that the last one's changed blocks are a short tail to send after the scan */
const STREAM_RANGE_BYTES = 32 * 1024 * 1024;

/** Scan a volume against `prevXxh` (null: every block counts as changed); `onRange` gets each range as soon as it is in order. */
export async function scanVolume(
  pool: ScanPool,
  path: string,
  size: number,
  blockSize: number,
  prevXxh: Buffer | null,
  wantSha = true,
  onRange?: (r: ScannedRange) => void,
): Promise<VolumeScan> {
  const blockCount = Math.ceil(size / blockSize);
  const streamed = onRange ? Math.ceil(blockCount / Math.max(1, Math.floor(STREAM_RANGE_BYTES / blockSize))) : 0;
  const parts = Math.max(1, Math.min(Math.max(pool.size * 4, streamed), Math.ceil(blockCount / 64)));
  const tasks: ScanTask[] = [];
  for (let p = 0; p < parts; p++) {
    const start = Math.floor((p * blockCount) / parts);
    const end = Math.floor(((p + 1) * blockCount) / parts);
    if (end <= start) continue;
    const prev = prevXxh && prevXxh.length >= end * 8 ? prevXxh.subarray(start * 8, end * 8) : null;
    tasks.push({ path, blockSize, size, start, end, prev: prev ? new Uint8Array(prev) : null, wantSha });
  }
  // the pool takes tasks in order, so ranges finish nearly in order; one that finishes early waits for those before it
  const done: (ScanResult | undefined)[] = new Array<ScanResult | undefined>(tasks.length);
  let handed = 0;
  const results = await Promise.all(
    tasks.map((t, k) =>
      pool.run(t).then((r) => {
        done[k] = r;
        while (onRange && handed < tasks.length && done[handed]) {
          const d = done[handed]!;
          onRange({ start: d.start, end: tasks[handed]!.end, xxh: d.xxh, changed: d.changed, zero: d.zero, sha: d.sha });
          handed++;
        }
        return r;
      }),
    ),
  );
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
