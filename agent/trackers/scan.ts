// The scan tracker: hashes every block of a volume in worker threads and compares each
// with the hash list of the last committed generation to produce the changed-block bitmap.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
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

const here = import.meta.url;
const workerUrl = new URL(here.endsWith('.ts') ? '../../dist/agent/trackers/scan-worker.js' : './scan-worker.js', here);

export class ScanPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { task: ScanTask; resolve: (r: ScanResult) => void; reject: (e: Error) => void }[] = [];
  private pending = new Map<number, { resolve: (r: ScanResult) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;

  constructor(readonly size = Math.max(1, Math.min(4, os.availableParallelism()))) {}

  private spawn(): Worker {
    const w = new Worker(workerUrl);
    w.unref();
    w.on('message', (m: { id: number; result?: ScanResult; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (p) {
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result!);
      }
      this.release(w);
    });
    w.on('error', (e) => {
      for (const [id, p] of this.pending) if (p.worker === w) (this.pending.delete(id), p.reject(e));
      this.workers = this.workers.filter((x) => x !== w);
      this.idle = this.idle.filter((x) => x !== w);
    });
    this.workers.push(w);
    return w;
  }

  private release(w: Worker): void {
    const next = this.queue.shift();
    if (next) this.dispatch(w, next.task, next.resolve, next.reject);
    else this.idle.push(w);
  }

  private dispatch(w: Worker, task: ScanTask, resolve: (r: ScanResult) => void, reject: (e: Error) => void): void {
    const id = this.nextId++;
    this.pending.set(id, { resolve, reject, worker: w });
    w.postMessage({ id, task });
  }

  run(task: ScanTask): Promise<ScanResult> {
    return new Promise((resolve, reject) => {
      const w = this.idle.pop() ?? (this.workers.length < this.size ? this.spawn() : undefined);
      if (w) this.dispatch(w, task, resolve, reject);
      else this.queue.push({ task, resolve, reject });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}

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
