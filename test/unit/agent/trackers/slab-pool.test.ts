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
});
