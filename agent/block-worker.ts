// Worker thread of the agent's block pool (block-pool.ts): runs a full's range
// (trackers/full-worker.ts) or an incremental's frames (send-worker.ts), whichever the task is.
import { parentPort } from 'node:worker_threads';
import type { BlockTask } from './block-pool.js';
import { build } from './send-worker.js';
import { readRange } from './trackers/full-worker.js';

parentPort?.on('message', (m: { id: number; task: BlockTask }) => {
  const t = m.task;
  const done: Promise<[unknown, ArrayBuffer[]]> =
    t.kind === 'send'
      ? build(t).then((r) => [r, [...new Set(r.frames.map((f) => f.buffer))].filter((b): b is ArrayBuffer => !(b instanceof SharedArrayBuffer))])
      : readRange(t).then((r) => [r, []]);
  done.then(
    ([result, transfer]) => parentPort!.postMessage({ id: m.id, result }, transfer),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
