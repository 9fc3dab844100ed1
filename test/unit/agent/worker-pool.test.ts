// The worker pool: warm() starts its workers ahead of the first task (the qemu tracker does
// so when it opens), never more than its size, and tasks then run on them.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { HashResult, HashTask } from '../../../agent/trackers/qemu-hash-worker.js';
import { WorkerPool, workerUrl } from '../../../agent/worker-pool.js';

describe('worker pool', () => {
  const pool = new WorkerPool<HashTask, HashResult>(workerUrl(import.meta.url, '../../../dist/agent/trackers/qemu-hash-worker.js', ''), 2);
  afterAll(() => pool.close());

  it('starts all its workers on warm(), once, and runs tasks on them', async () => {
    pool.warm();
    pool.warm();
    expect(pool.started).toBe(2);
    const block = Buffer.from(new SharedArrayBuffer(4096)).fill(9);
    const results = await Promise.all([1, 2, 3].map(() => pool.run({ data: block, blockSize: 4096, count: 1, lastLen: 4096, prev: null })));
    for (const r of results) expect(Buffer.from(r.sha).equals(createHash('sha256').update(block).digest())).toBe(true);
    expect(pool.started).toBe(2);
  });
});
