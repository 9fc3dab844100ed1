// The hub's pool of pack-reader worker threads (chunk-worker.ts), shared by restores and NBD
// exports: created on first use, kept (unref'd) for the next, and stopped after a few idle
// seconds so that their memory (a V8 isolate, read and write buffers each) goes back to the
// system between restores. Each worker holds two jobs at a time, so the next is already in its
// queue when it finishes one. Interactive reads (a guest booting from an export) go ahead of
// bulk work (a restore) waiting for a worker.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ExtentJob, ExtentResult } from './chunk-worker.js';
import { collectNow } from './collect.js';

const here = import.meta.url;
const workerUrl = new URL(here.endsWith('.ts') ? '../../dist/src/store/chunk-worker.js' : './chunk-worker.js', here);

export type Priority = 'interactive' | 'bulk';

/** jobs a worker holds at once: one decoding, the next waiting in its queue */
export const JOBS_PER_WORKER = 2;
// idle workers are stopped after this: restarting one costs ~30 ms, keeping one ~25 MB
const IDLE_MS = 3000;

export class ChunkPool {
  /** each worker and the jobs it holds */
  private readonly load = new Map<Worker, number>();
  private readonly waiting: Record<Priority, ((w: Worker) => void)[]> = { interactive: [], bulk: [] };
  private nextId = 1;
  private busy = 0;
  private reaper: NodeJS.Timeout | null = null;

  // one per core: the hub's own thread writes the decoded windows (direct-write.ts)
  constructor(
    readonly size = Math.max(2, Math.min(4, os.availableParallelism())),
    private readonly idleMs = IDLE_MS,
  ) {}

  /** jobs in flight at most */
  get slots(): number {
    return this.size * JOBS_PER_WORKER;
  }

  /** worker threads running now */
  get running(): number {
    return this.load.size;
  }

  private acquire(prio: Priority): Promise<Worker> {
    this.busy++;
    if (this.reaper) clearTimeout(this.reaper);
    this.reaper = null;
    const w = this.take();
    return w ? Promise.resolve(w) : new Promise((r) => this.waiting[prio].push(r));
  }

  /** a free slot: on the least busy worker, or a new one rather than a second job on a busy one */
  private take(): Worker | null {
    let best: Worker | null = null;
    let least = JOBS_PER_WORKER;
    for (const [w, n] of this.load) {
      if (n < least) {
        best = w;
        least = n;
      }
    }
    if ((best === null || least > 0) && this.load.size < this.size) {
      best = new Worker(workerUrl);
      best.unref();
      least = 0;
    }
    if (best) this.load.set(best, least + 1);
    return best;
  }

  /**
   * Start every worker now, ahead of the first job: an export a guest is about to boot from
   * then serves its first reads without waiting for a worker to start (30–110 ms each, the
   * more under load). Resolves once each has loaded; an unused pool stops after the idle time.
   */
  async warm(): Promise<void> {
    const fresh: Worker[] = [];
    while (this.load.size < this.size) {
      const w = new Worker(workerUrl);
      w.unref();
      this.load.set(w, 0);
      fresh.push(w);
    }
    if (fresh.length === 0) return;
    // a worker stopped before it answered has nothing to warm
    await Promise.all(fresh.map((w) => this.call(w, {}).catch(() => undefined)));
    // idle from now on unless a job came meanwhile
    if (this.busy === 0 && !this.reaper && this.load.size > 0) {
      this.reaper = setTimeout(() => this.stopIdle(), this.idleMs);
      this.reaper.unref();
    }
  }

  /** hand free slots to whoever waits, interactive first */
  private drain(): void {
    for (;;) {
      const q = this.waiting.interactive.length > 0 ? this.waiting.interactive : this.waiting.bulk;
      if (q.length === 0) return;
      const w = this.take();
      if (!w) return;
      q.shift()!(w);
    }
  }

  private release(w: Worker): void {
    this.busy--;
    const n = this.load.get(w);
    if (n !== undefined) this.load.set(w, n - 1);
    this.drain();
    if (this.busy === 0 && this.load.size > 0) {
      this.reaper = setTimeout(() => this.stopIdle(), this.idleMs);
      this.reaper.unref();
    }
  }

  /** stop every worker (none has a job: busy is 0) */
  private stopIdle(): void {
    this.reaper = null;
    if (this.busy > 0) return;
    for (const w of this.load.keys()) void w.terminate();
    this.load.clear();
    // the rings the jobs decoded into are garbage now unless a restore or an export still holds
    // them: collect, so that a finished one goes back to the system (store/collect.ts)
    collectNow();
  }

  private call<T>(w: Worker, msg: object): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        w.off('message', onMsg);
        w.off('error', onErr);
        w.off('exit', onExit);
      };
      const onMsg = (m: { id: number; result?: T }) => {
        if (m.id !== id) return;
        done();
        resolve(m.result as T);
      };
      const onErr = (e: Error) => {
        done();
        reject(e);
      };
      const onExit = () => {
        done();
        reject(new Error('the pack reader stopped'));
      };
      w.on('message', onMsg);
      w.once('error', onErr);
      w.once('exit', onExit);
      w.postMessage({ id, ...msg });
    });
  }

  /** Read, decode and check one extent of a pack (and put its blocks into a restore window). */
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
        this.busy--;
        if (this.load.delete(w)) void w.terminate();
        // whoever waits for a worker gets a new one
        this.drain();
      } else this.release(w);
    }
  }
}

let shared: ChunkPool | null = null;

/** The hub's one pool. */
export function chunkPool(): ChunkPool {
  shared ??= new ChunkPool();
  return shared;
}
