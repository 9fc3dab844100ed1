// The hub's pool of pack-reader worker threads (chunk-worker.ts), shared by restores and NBD
// exports: created on first use, kept (unref'd) for the next. Interactive reads (a guest
// booting from an export) go ahead of bulk work (a restore) waiting for a worker.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ExtentJob, ExtentResult } from './chunk-worker.js';

const here = import.meta.url;
const workerUrl = new URL(here.endsWith('.ts') ? '../../dist/src/store/chunk-worker.js' : './chunk-worker.js', here);

export type Priority = 'interactive' | 'bulk';

export class ChunkPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private readonly waiting: Record<Priority, ((w: Worker) => void)[]> = { interactive: [], bulk: [] };
  private nextId = 1;

  // one per core and one more, so a worker waiting on a cold pack read leaves the cores busy
  constructor(readonly size = Math.max(2, Math.min(4, os.availableParallelism() + 1))) {}

  private acquire(prio: Priority): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.workers.length < this.size) {
      const nw = new Worker(workerUrl);
      nw.unref();
      this.workers.push(nw);
      return Promise.resolve(nw);
    }
    return new Promise((r) => this.waiting[prio].push(r));
  }

  private release(w: Worker): void {
    const next = this.waiting.interactive.shift() ?? this.waiting.bulk.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  private call<T>(w: Worker, msg: object): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMsg = (m: { id: number; result?: T }) => {
        if (m.id !== id) return;
        w.off('message', onMsg);
        w.off('error', onErr);
        resolve(m.result as T);
      };
      const onErr = (e: Error) => {
        w.off('message', onMsg);
        reject(e);
      };
      w.on('message', onMsg);
      w.once('error', onErr);
      w.postMessage({ id, ...msg });
    });
  }

  /** Read, decode and check one extent of a pack (and write it into a restore target). */
  async run(job: ExtentJob, prio: Priority = 'bulk'): Promise<ExtentResult> {
    const w = await this.acquire(prio);
    let dead = false;
    try {
      return await this.call<ExtentResult>(w, { job });
    } catch (e) {
      dead = true;
      throw e;
    } finally {
      // a worker that crashed is dropped, never handed to the next job or close
      if (dead) {
        this.workers = this.workers.filter((x) => x !== w);
        void w.terminate();
        // whoever waits for a worker gets a new one
        const next = this.waiting.interactive.shift() ?? this.waiting.bulk.shift();
        if (next) void this.acquire('bulk').then(next);
      } else this.release(w);
    }
  }

  /** every worker closes its descriptor of a restore target (after the jobs it has queued) */
  async closeFile(file: string): Promise<void> {
    await Promise.all(this.workers.map((w) => this.call(w, { close: file }).catch(() => undefined)));
  }
}

let shared: ChunkPool | null = null;

/** The hub's one pool. */
export function chunkPool(): ChunkPool {
  shared ??= new ChunkPool();
  return shared;
}
