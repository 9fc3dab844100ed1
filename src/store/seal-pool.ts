// The hub's pool of seal workers (seal-worker.ts): encrypts the chunks of backups as they
// arrive, off the event loop. Created on first use, kept (unref'd) for the next backup.
// Batches go to the least busy worker; each worker answers in the order it was asked.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SealJob, SealReply } from './seal-worker.js';

const here = import.meta.url;
const workerUrl = new URL(here.endsWith('.ts') ? '../../dist/src/store/seal-worker.js' : './seal-worker.js', here);

interface Waiter {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/**
 * Batch buffers used again: each fresh 4 MiB buffer costs the event loop a page fault per
 * 4 KiB page (and the GC an external allocation). They come back with the worker's reply.
 * Records buffers are not: a pack appender writes long appends later, from the buffer itself.
 */
class FreeBuffers {
  private readonly free: ArrayBuffer[] = [];
  constructor(private readonly max: number) {}
  give(b: ArrayBuffer): void {
    if (this.free.length < this.max && b.byteLength > 0) this.free.push(b);
  }
  /** a free buffer of at least `size` bytes, or null */
  take(size: number): ArrayBuffer | null {
    const i = this.free.findIndex((b) => b.byteLength >= size);
    return i < 0 ? null : this.free.splice(i, 1)[0]!;
  }
}

class SealWorker {
  readonly w: Worker;
  readonly waiting = new Map<number, Waiter>();
  constructor(
    onDead: (w: SealWorker) => void,
    private readonly buffers: FreeBuffers,
  ) {
    this.w = new Worker(workerUrl);
    this.w.on('message', (m: SealReply) => {
      const x = this.waiting.get(m.id);
      if (!x) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.w.unref();
      if ('error' in m) x.reject(new Error(`sealing chunks failed: ${m.error}`));
      else {
        this.buffers.give(m.plain);
        x.resolve(Buffer.from(m.records, 0, m.length));
      }
    });
    const fail = (e: Error) => {
      onDead(this);
      for (const x of this.waiting.values()) x.reject(e);
      this.waiting.clear();
    };
    this.w.on('error', fail);
    this.w.on('exit', (code) => fail(new Error(`seal worker exited (${code})`)));
    this.w.unref(); // held only while it has work (see ask)
  }

  ask(id: number, job: Omit<SealJob, 'id'>, waiter: Waiter): void {
    if (this.waiting.size === 0) this.w.ref();
    this.waiting.set(id, waiter);
    this.w.postMessage({ id, ...job }, [job.plain]);
  }
}

export class SealPool {
  private workers: SealWorker[] = [];
  private nextId = 1;
  /** plain batch buffers back from the workers */
  private readonly batches = new FreeBuffers(8);

  // one per core (at most 4): sealing runs at ~1 GB/s per core, ingest of one agent at less
  constructor(readonly size = Math.max(1, Math.min(4, os.availableParallelism()))) {}

  private pick(): SealWorker {
    if (this.workers.length < this.size) {
      const w: SealWorker = new SealWorker((dead) => (this.workers = this.workers.filter((x) => x !== dead)), this.batches);
      this.workers.push(w);
      return w;
    }
    return this.workers.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
  }

  /** The sealed records of a batch (see sealRecords); `plain` is transferred to the worker. */
  seal(job: Omit<SealJob, 'id'>): Promise<Buffer> {
    const w = this.pick();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => w.ask(id, job, { resolve, reject }));
  }

  /** A buffer of at least `size` bytes for a batch's plain bytes (its own ArrayBuffer, to be transferred). */
  batchBuffer(size: number): Buffer {
    const b = this.batches.take(size);
    return b ? Buffer.from(b) : Buffer.allocUnsafeSlow(size);
  }
}

let shared: SealPool | null = null;

/** The hub's one pool. */
export function sealPool(): SealPool {
  shared ??= new SealPool();
  return shared;
}
