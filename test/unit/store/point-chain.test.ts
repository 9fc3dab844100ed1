// Deleting points from the middle and the base of a chain, and consolidation: every
// remaining point restores byte-identical, and nothing changes when an edit cannot be made.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/store/errors.js';
import { ENTRY_BYTES, encodeManifest, manifestEntries } from '../../../src/store/manifest.js';
import { PointChains, mergeManifests } from '../../../src/store/point-chain.js';
import { BLOCKS, StoreHarness } from './harness.js';

describe('point chains', () => {
  let h: StoreHarness;
  let chains: PointChains;
  /** full F, then I1 (blocks 1, 2), I2 (blocks 2, 3), I3 (block 4) */
  let ids: { f: number; i1: number; i2: number; i3: number };

  beforeEach(() => {
    h = new StoreHarness();
    chains = new PointChains(h.store);
    const v0 = h.image();
    const f = h.commit(v0, h.all(), null);
    const v1 = h.changed(v0, [1, 2]);
    const i1 = h.commit(v1, [1, 2], f);
    const v2 = h.changed(v1, [2, 3]);
    const i2 = h.commit(v2, [2, 3], i1);
    const v3 = h.changed(v2, [4]);
    const i3 = h.commit(v3, [4], i2);
    ids = { f, i1, i2, i3 };
  });

  afterEach(() => h.close());

  it('merges a deleted middle delta into its child, and every remaining point restores byte-identical', async () => {
    expect(chains.delete(ids.i1).updated).toEqual([ids.i2]);
    expect(h.catalog.point(ids.i1)).toBeUndefined();
    expect(h.catalog.point(ids.i2)).toMatchObject({ type: 'incremental', parentId: ids.f, changedBlocks: 3 });
    expect([...manifestEntries(h.catalog.manifest(ids.i2))].map((e) => e.index)).toEqual([1, 2, 3]);
    expect(await h.allRestoreIdentical()).toBe(true);
  });

  it('makes the child of a deleted base full a full itself', async () => {
    chains.delete(ids.f);
    expect(h.catalog.point(ids.i1)).toMatchObject({ type: 'full', parentId: null, changedBlocks: BLOCKS });
    expect(await h.allRestoreIdentical()).toBe(true);
  });

  it('deletes a chain down to its newest point, newest first, leaving it restorable as a full', async () => {
    for (const id of [ids.i2, ids.i1, ids.f]) chains.delete(id);
    expect(h.catalog.points(h.volumeId).map((p) => [p.id, p.type])).toEqual([[ids.i3, 'full']]);
    expect((await h.restored(ids.i3)).equals(h.images.get(ids.i3)!)).toBe(true);
  });

  it('refuses to delete the newest point of a volume', () => {
    expect(() => chains.delete(ids.i3)).toThrow(/newest of its volume/);
  });

  it('changes nothing when the child cannot be rebuilt', () => {
    // lose block 0 from the full's manifest: i1's image can no longer be built
    const broken = h.catalog.manifest(ids.f).subarray(ENTRY_BYTES);
    h.catalog.db.prepare('UPDATE points SET manifest = ? WHERE id = ?').run(broken, ids.f);
    const before = h.catalog.points(h.volumeId);
    expect(() => chains.delete(ids.f)).toThrow(StoreError);
    expect(h.catalog.points(h.volumeId)).toEqual(before);
  });

  it('turns a delta into a synthetic full without writing a chunk, and its children still restore', async () => {
    const packBytes = h.packBytesOnDisk();
    chains.consolidate(ids.i2);
    expect(h.catalog.point(ids.i2)).toMatchObject({ type: 'full', parentId: null, changedBlocks: BLOCKS });
    expect(chains.depth(ids.i3)).toBe(1);
    expect(h.packBytesOnDisk()).toBe(packBytes);
    chains.delete(ids.i1);
    chains.delete(ids.f);
    expect(await h.allRestoreIdentical()).toBe(true);
  });

  it('drops parent entries beyond a child that shrank when merging', () => {
    const e = (index: number) => ({ index, flags: 0, hash: Buffer.alloc(32, index) });
    const merged = mergeManifests(encodeManifest([e(0), e(5), e(9)]), encodeManifest([e(5), e(6)]), 8);
    expect([...manifestEntries(merged)].map((x) => x.index)).toEqual([0, 5, 6]);
  });
});
