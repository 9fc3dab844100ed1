// The block arithmetic of the qemu-dirty-bitmap tracker: byte extents to block ranges,
// and the read plan split into zero runs and batches in block order.
import { describe, expect, it } from 'vitest';
import { STATE_DIRTY, STATE_HOLE, STATE_ZERO } from '../../../../src/protocol/nbd/protocol.js';
import { blocksOf, unitsOf } from '../../../../agent/trackers/qemu-reader.js';

const BS = 65536;

describe('blocks of byte extents', () => {
  it('counts a block dirty when any byte of it is, across extent and block boundaries', () => {
    const extents = [
      { offset: 0, length: 100, flags: STATE_DIRTY },
      { offset: 100, length: 3 * BS, flags: 0 },
      { offset: 3 * BS + 100, length: BS, flags: STATE_DIRTY }, // straddles blocks 3 and 4
      { offset: 4 * BS + 100, length: 4 * BS, flags: 0 },
    ];
    expect(blocksOf(extents, STATE_DIRTY, BS, 8 * BS + 100, false)).toEqual([
      { first: 0, count: 1 },
      { first: 3, count: 2 },
    ]);
  });

  it('counts a block zero only when a zero extent covers all of it, including a short last block', () => {
    const size = 4 * BS + 512;
    const extents = [
      { offset: 0, length: BS + 10, flags: STATE_ZERO | STATE_HOLE },
      { offset: BS + 10, length: BS, flags: 0 },
      { offset: 2 * BS + 10, length: size - 2 * BS - 10, flags: STATE_ZERO },
    ];
    expect(blocksOf(extents, STATE_ZERO, BS, size, true)).toEqual([
      { first: 0, count: 1 },
      { first: 3, count: 2 },
    ]);
  });

  it('merges adjacent ranges from separate extents', () => {
    const extents = [
      { offset: 0, length: BS, flags: STATE_DIRTY },
      { offset: BS, length: BS, flags: STATE_DIRTY | 4 },
    ];
    expect(blocksOf(extents, STATE_DIRTY, BS, 2 * BS, false)).toEqual([{ first: 0, count: 2 }]);
  });
});

describe('read plan units', () => {
  it('yields zero runs and batches in block order, a zero run ending the batch before it', () => {
    const units = [...unitsOf({ blockSize: BS, examine: [{ first: 0, count: 10 }], zero: [{ first: 3, count: 2 }, { first: 8, count: 5 }] })];
    expect(units).toEqual([
      { kind: 'batch', indices: [0, 1, 2] },
      { kind: 'zero', first: 3, count: 2 },
      { kind: 'batch', indices: [5, 6, 7] },
      { kind: 'zero', first: 8, count: 2 },
    ]);
  });

  it('packs scattered dirty blocks into batches of at most 4 MiB', () => {
    const examine = Array.from({ length: 100 }, (_, i) => ({ first: i * 10, count: 1 }));
    const units = [...unitsOf({ blockSize: BS, examine, zero: [] })];
    expect(units.map((u) => (u.kind === 'batch' ? u.indices.length : -1))).toEqual([64, 36]);
    expect(units.flatMap((u) => (u.kind === 'batch' ? u.indices : []))).toEqual(examine.map((r) => r.first));
  });
});
