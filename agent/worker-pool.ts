// A fixed pool of worker threads running one kind of task: {id, task} in, {id, result|error} out.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export class WorkerPool<Task, Result> {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { task: Task; transfer: ArrayBuffer[]; resolve: (r: Result) => void; reject: (e: Error) => void }[] = [];
  private pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;

  constructor(
    private readonly url: URL,
    readonly size = Math.max(1, Math.min(4, os.availableParallelism())),
  ) {}

  private spawn(): Worker {
    const w = new Worker(this.url);
    w.on('message', (m: { id: number; result?: Result; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (p) {
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result!);
      }
      const next = this.queue.shift();
      if (next) this.dispatch(w, next.task, next.transfer, next.resolve, next.reject);
      else this.idle.push(w);
    });
    w.on('error', (e) => {
      for (const [id, p] of this.pending) if (p.worker === w) (this.pending.delete(id), p.reject(e));
      this.workers = this.workers.filter((x) => x !== w);
      this.idle = this.idle.filter((x) => x !== w);
    });
    // after the listeners: adding a 'message' listener refs the worker's port again
    w.unref();
    this.workers.push(w);
    return w;
  }

  private dispatch(w: Worker, task: Task, transfer: ArrayBuffer[], resolve: (r: Result) => void, reject: (e: Error) => void): void {
    const id = this.nextId++;
    this.pending.set(id, { resolve, reject, worker: w });
    w.postMessage({ id, task }, transfer);
  }

  /** workers running (idle or busy) */
  get started(): number {
    return this.workers.length;
  }

  /** Start every worker now, so that the first task does not wait for one to boot. */
  warm(): void {
    while (this.workers.length < this.size) this.idle.push(this.spawn());
  }

  /** Stop the idle workers (busy ones finish their task): another pool does the work for a while. */
  retire(): void {
    for (const w of this.idle) void w.terminate();
    this.workers = this.workers.filter((w) => !this.idle.includes(w));
    this.idle = [];
  }

  run(task: Task, transfer: ArrayBuffer[] = []): Promise<Result> {
    return new Promise((resolve, reject) => {
      const w = this.idle.pop() ?? (this.workers.length < this.size ? this.spawn() : undefined);
      if (w) this.dispatch(w, task, transfer, resolve, reject);
      else this.queue.push({ task, transfer, resolve, reject });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}

/** Resolve a worker script next to `from` (compiled .js), or in dist/ when running from .ts sources. */
export function workerUrl(from: string, relFromDist: string, sibling: string): URL {
  return new URL(from.endsWith('.ts') ? relFromDist : sibling, from);
}
