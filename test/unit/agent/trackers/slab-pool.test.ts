// The pool of shared-memory slabs that NBD reads land in: slabs come back for the next
// batch, at most `idleLimit` stay mapped, and odd sizes are never pooled.
import { describe, expect, it } from 'vitest';
import { SlabPool } from '../../../../agent/trackers/slab-pool.js';

describe('slab pool', () => {
  it('hands a slab given back out again instead of a new one', () => {
    const pool = new SlabPool(4096, 4);
    const a = pool.take();
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(4096);
    pool.give(a);
    expect(pool.take()).toBe(a);
    expect(pool.take()).not.toBe(a);
  });

  it('keeps at most idleLimit slabs, and each one once', () => {
    const pool = new SlabPool(4096, 2);
    const slabs = [pool.take(), pool.take(), pool.take()];
    for (const s of slabs) pool.give(s);
    pool.give(slabs[0]!);
    expect(pool.idleCount).toBe(2);
    expect(new Set([pool.take(), pool.take()]).size).toBe(2);
  });

  it('gives a larger request a buffer of its own and does not pool it, nor a part of a slab', () => {
    const pool = new SlabPool(4096, 4);
    const big = pool.take(10_000);
    expect(big.length).toBe(10_000);
    pool.give(big);
    pool.give(pool.take().subarray(0, 1024));
    pool.give(pool.take().subarray(1024));
    expect(pool.idleCount).toBe(0);
  });

  it('unmaps its idle slabs on trim() and makes new ones afterwards', () => {
    const pool = new SlabPool(4096, 4);
    const slabs = [pool.take(), pool.take(), pool.take()];
    for (const s of slabs) pool.give(s);
    pool.trim(1);
    expect(pool.idleCount).toBe(1);
    pool.trim();
    expect(pool.idleCount).toBe(0);
    expect(slabs).not.toContain(pool.take());
  });

  it('prepares the slabs a job will need: idle ones first, fresh ones touched elsewhere, handed out in order once touched', async () => {
    const pool = new SlabPool(8192, 4);
    const kept = pool.take();
    pool.give(kept);
    const touched: Buffer[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    pool.prepare(3, async (slab) => {
      await gate;
      slab[4096] = 7; // what a worker's touch leaves
      touched.push(slab);
    });
    // the idle slab at once; the two fresh ones only after their touch
    expect(await pool.takeReady()).toBe(kept);
    const next = pool.takeReady();
    let got: Buffer | null = null;
    void next.then((b) => (got = b));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeNull();
    release();
    const first = await next;
    expect(first).toBe(touched[0]);
    expect(first[4096]).toBe(7);
    // the prepared slab nobody took goes back to the pool, touched
    await pool.settle();
    expect(pool.idleCount).toBe(1);
    expect(pool.take()).toBe(touched[1]);
  });

  it('leaves a fresh slab untouched when asked to (the thread that fills it faults its pages in)', () => {
    const pool = new SlabPool(8192, 2, false);
    const s = pool.take();
    expect(s.length).toBe(8192);
    pool.give(s);
    expect(pool.take()).toBe(s);
  });
});
