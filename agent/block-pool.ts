// The agent's block worker threads: a full's ranges (read, hash, frame) and an incremental's
// frames run in the same threads (block-worker.ts), so a full neither stops the incremental's
// threads nor boots its own, and the threads stay up between jobs. Each worker boot or stop
// costs ~0.1 CPU-s; before, every full booted and stopped six of them.
import type { SendResult, SendTask } from './send-worker.js';
import type { FullResult, FullTask } from './trackers/full-worker.js';
import { WorkerPool, workerUrl } from './worker-pool.js';

export type BlockTask = ({ kind: 'full' } & FullTask) | ({ kind: 'send' } & SendTask);

const pool = new WorkerPool<BlockTask, FullResult | SendResult>(workerUrl(import.meta.url, '../dist/agent/block-worker.js', './block-worker.js'));

/** One kind of task on the shared threads. */
class BlockTasks<T, R> {
  constructor(private readonly run1: (task: T) => Promise<R>) {}

  /** threads tasks run on at once */
  get size(): number {
    return pool.size;
  }

  /** threads running (idle or busy), shared by every kind of task */
  get started(): number {
    return pool.started;
  }

  /** Start the threads now, so that the first task does not wait for one to boot. */
  warm(): void {
    pool.warm();
  }

  run(task: T): Promise<R> {
    return this.run1(task);
  }
}

/** A full backup's ranges: read once, hashed and framed (full-upload.ts). */
export const fullReaders = new BlockTasks<FullTask, FullResult>((t) => pool.run({ kind: 'full', ...t }) as Promise<FullResult>);

/** The frames of the blocks the hub asked for (uploader.ts). */
export const senders = new BlockTasks<SendTask, SendResult>((t) => pool.run({ kind: 'send', ...t }) as Promise<SendResult>);

/** Stop the threads (tests, and the agent's stop). */
export function closeBlockWorkers(): Promise<void> {
  return pool.close();
}
