// The pack readers' pool: many extents in flight on few workers land each block at its own place
// of a restore window (memory shared with the hub), and idle workers stop and come back.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkPool } from '../../../src/store/chunk-pool.js';
import type { ExtentJob } from '../../../src/store/chunk-worker.js';
import { WindowRing } from '../../../src/store/direct-write.js';

const BS = 4096;
const PER_JOB = 8;
const JOBS = 24;

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A pack of JOBS × PER_JOB raw blocks and the extent jobs that put block k at place `order[k]` of a window in slot 1. */
function setup(): { pack: Buffer; ring: WindowRing; jobs: ExtentJob[]; order: number[] } {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-pool-'));
  const n = JOBS * PER_JOB;
  const pack = randomBytes(n * BS);
  fs.writeFileSync(path.join(dir, 'p.pack'), pack);
  const ring = new WindowRing(2, n * BS);
  // places in reverse order, so the window is not simply the pack's order
  const order = Array.from({ length: n }, (_, k) => n - 1 - k);
  const jobs = Array.from({ length: JOBS }, (_, j): ExtentJob => {
    const ks = Array.from({ length: PER_JOB }, (_, i) => j * PER_JOB + i);
    return {
      pack: path.join(dir, 'p.pack'),
      offset: j * PER_JOB * BS,
      length: PER_JOB * BS,
      hashes: new Uint8Array(Buffer.concat(ks.map((k) => createHash('sha256').update(pack.subarray(k * BS, (k + 1) * BS)).digest()))),
      place: { buffer: ring.memory, at: ring.slotBytes, first: 100, blockSize: BS },
      chunks: ks.map((k, i) => ({ at: i * BS, length: BS, codec: 0, rawLength: BS, dests: [100 + order[k]!] })),
    };
  });
  return { pack, ring, jobs, order };
}

describe('the pack readers', () => {
  it('puts every block of many extents in flight at its place of the window', async () => {
    const pool = new ChunkPool(1);
    const { pack, ring, jobs, order } = setup();
    const results = await Promise.all(jobs.map((j) => pool.run(j)));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let k = 0; k < order.length; k++) expect(ring.view(1, order[k]! * BS, BS).equals(pack.subarray(k * BS, (k + 1) * BS))).toBe(true);
    expect(ring.view(0, 0, BS).equals(Buffer.alloc(BS))).toBe(true); // the other slot untouched
  });

  it('refuses a chunk whose bytes do not hash to the manifest, naming it', async () => {
    const pool = new ChunkPool(1);
    const { jobs } = setup();
    const bad = { ...jobs[3]!, hashes: new Uint8Array(jobs[3]!.hashes) };
    bad.hashes[2 * 32] ^= 1;
    const r = await pool.run(bad);
    expect(r.ok).toBe(false);
    expect(r.ok ? -1 : r.chunk).toBe(2);
  });

  it('decodes two extents asked at once on two workers, not both on one', async () => {
    const pool = new ChunkPool(2);
    const { jobs } = setup();
    const both = await Promise.all([pool.run(jobs[0]!), pool.run(jobs[1]!)]);
    expect(both.every((r) => r.ok)).toBe(true);
    expect(pool.running).toBe(2);
  });

  it('stops its workers once idle and starts new ones for the next restore', async () => {
    const pool = new ChunkPool(2, 50);
    const first = setup();
    expect((await pool.run(first.jobs[0]!)).ok).toBe(true);
    expect(pool.running).toBe(1);
    await expect.poll(() => pool.running, { timeout: 5000 }).toBe(0);
    const again = await Promise.all(first.jobs.slice(1, 6).map((j) => pool.run(j)));
    expect(again.every((r) => r.ok)).toBe(true);
    expect(pool.running).toBeGreaterThan(0);
  });

  it('warms every worker ahead of the first job (an export about to be booted from), and stops them unused', async () => {
    const pool = new ChunkPool(2, 50);
    await pool.warm();
    expect(pool.running).toBe(2);
    // the warmed workers take the jobs: none is started for them
    const { jobs } = setup();
    const both = await Promise.all([pool.run(jobs[0]!), pool.run(jobs[1]!)]);
    expect(both.every((r) => r.ok)).toBe(true);
    expect(pool.running).toBe(2);
    await expect.poll(() => pool.running, { timeout: 5000 }).toBe(0);
    // warmed and never used: stopped after the idle time all the same
    await pool.warm();
    expect(pool.running).toBe(2);
    await expect.poll(() => pool.running, { timeout: 5000 }).toBe(0);
  });
});
