// The pack readers' pool: many extents in flight on few workers land each at its own place of a
// restore target (direct writes overlap the next decode), and idle workers stop and come back.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkPool } from '../../../src/store/chunk-pool.js';
import type { ExtentJob } from '../../../src/store/chunk-worker.js';

const BS = 4096;
const PER_JOB = 8;
const JOBS = 24;

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A pack of JOBS × PER_JOB raw blocks and the extent jobs that write block k to place `order[k]`. */
function setup(direct: boolean): { pack: Buffer; target: string; jobs: ExtentJob[]; order: number[] } {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-pool-'));
  const n = JOBS * PER_JOB;
  const pack = randomBytes(n * BS);
  fs.writeFileSync(path.join(dir, 'p.pack'), pack);
  const target = path.join(dir, 'image.raw');
  fs.writeFileSync(target, Buffer.alloc(0));
  fs.truncateSync(target, n * BS);
  // places in reverse order per job, so runs are not simply the pack's order
  const order = Array.from({ length: n }, (_, k) => n - 1 - k);
  const jobs = Array.from({ length: JOBS }, (_, j): ExtentJob => {
    const ks = Array.from({ length: PER_JOB }, (_, i) => j * PER_JOB + i);
    return {
      pack: path.join(dir, 'p.pack'),
      offset: j * PER_JOB * BS,
      length: PER_JOB * BS,
      hashes: new Uint8Array(Buffer.concat(ks.map((k) => createHash('sha256').update(pack.subarray(k * BS, (k + 1) * BS)).digest()))),
      out: { file: target, blockSize: BS, direct },
      chunks: ks.map((k, i) => ({ at: i * BS, length: BS, codec: 0, rawLength: BS, dests: [order[k]!] })),
    };
  });
  return { pack, target, jobs, order };
}

describe('the pack readers', () => {
  for (const direct of [true, false]) {
    it(`write every block of many extents in flight to its place (${direct ? 'O_DIRECT' : 'page cache'})`, async () => {
      const pool = new ChunkPool(1);
      const { pack, target, jobs, order } = setup(direct);
      const results = await Promise.all(jobs.map((j) => pool.run(j)));
      expect(results.every((r) => r.ok)).toBe(true);
      await pool.closeFile(target);
      const img = fs.readFileSync(target);
      for (let k = 0; k < order.length; k++) expect(img.subarray(order[k]! * BS, (order[k]! + 1) * BS).equals(pack.subarray(k * BS, (k + 1) * BS))).toBe(true);
    });
  }

  it('decodes two extents asked at once on two workers, not both on one', async () => {
    const pool = new ChunkPool(2);
    const { jobs } = setup(true);
    const both = await Promise.all([pool.run(jobs[0]!), pool.run(jobs[1]!)]);
    expect(both.every((r) => r.ok)).toBe(true);
    expect(pool.running).toBe(2);
  });

  it('stops its workers once idle and starts new ones for the next restore', async () => {
    const pool = new ChunkPool(2, 50);
    const first = setup(true);
    expect((await pool.run(first.jobs[0]!)).ok).toBe(true);
    expect(pool.running).toBe(1);
    await expect.poll(() => pool.running, { timeout: 5000 }).toBe(0);
    const again = await Promise.all(first.jobs.slice(1, 6).map((j) => pool.run(j)));
    expect(again.every((r) => r.ok)).toBe(true);
    expect(pool.running).toBeGreaterThan(0);
  });
});
