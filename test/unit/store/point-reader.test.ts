// An NBD export's reads are served from shared memory the decoded blocks are put in, and
// that memory is handed out again as the reads go on: a read's bytes must stay the point's
// bytes until its reply is sent (released), however much is decoded meanwhile.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PointReader, type PinnedRead } from '../../../src/store/point-reader.js';
import { BS, SIZE, StoreHarness } from './harness.js';

describe('reads of a point for an NBD export', () => {
  let h: StoreHarness;
  beforeEach(() => {
    h = new StoreHarness();
  });
  afterEach(() => {
    fs.rmSync(h.dir, { recursive: true, force: true });
  });

  it('keeps the bytes of every read unchanged until it is released, while its memory is reused many times over', async () => {
    const img = h.image();
    const id = h.commit(img, h.all(), null);
    // a small cache and a ring that wraps every few reads
    const reader = new PointReader(h.store, h.store.blockMap(id), 'disk', { cacheBytes: 4 * BS, readAheadBytes: 2 * BS, ringBytes: 16 * BS });
    const held: { r: PinnedRead; offset: number; length: number }[] = [];
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let round = 0; round < 60; round++) {
      const ranges = Array.from({ length: 6 }, (_, k) => {
        // sequential runs (read ahead) and jumps
        const offset = k % 2 === 0 ? ((round * 6 + k) * BS) % SIZE : rnd(SIZE - 1);
        return { offset, length: Math.min(SIZE - offset, 1 + rnd(3 * BS)) };
      });
      const reads = await Promise.all(ranges.map(async (x) => ({ r: await reader.readPinned(x.offset, x.length), ...x })));
      held.push(...reads);
      for (const x of held) expect(Buffer.concat(x.r.parts).equals(img.subarray(x.offset, x.offset + x.length)), `read ${x.offset}+${x.length} in round ${round}`).toBe(true);
      // replies still being sent over several rounds: release the oldest
      while (held.length > 10) held.shift()!.r.release();
    }
    for (const x of held) x.r.release();
  });
});
