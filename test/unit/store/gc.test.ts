// Garbage collection: unreferenced chunks go, mostly-dead packs are repacked, chunks a
// running job relies on stay, and a crash in the middle leaves the catalog consistent.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../../src/store/gc.js';
import { PointChains } from '../../../src/store/point-chain.js';
import { BS, StoreHarness, sha } from './harness.js';

describe('garbage collection', () => {
  let h: StoreHarness;
  let chains: PointChains;

  beforeEach(() => {
    h = new StoreHarness();
    chains = new PointChains(h.store);
  });

  afterEach(() => h.close());

  /** F; I1 changes blocks 1-4 and 8; I2 changes blocks 1-4 again. Returns ids and I1's image. */
  function history() {
    const v0 = h.image();
    const f = h.commit(v0, h.all(), null);
    const v1 = h.changed(v0, [1, 2, 3, 4, 8]);
    const i1 = h.commit(v1, [1, 2, 3, 4, 8], f);
    const v2 = h.changed(v1, [1, 2, 3, 4]);
    const i2 = h.commit(v2, [1, 2, 3, 4], i1);
    return { f, i1, i2, v1 };
  }

  it('finds nothing to do in a store where every chunk is referenced', async () => {
    history();
    const r = await collectGarbage(h.store);
    expect(r).toMatchObject({ chunksRemoved: 0, packsRepacked: 0, packsDropped: 0, bytesFreed: 0 });
  });

  it('removes the chunks of a deleted point and repacks its mostly-dead pack, keeping the live chunk', async () => {
    const { i1 } = history();
    const before = h.packBytesOnDisk();
    const i1Pack = h.catalog.chunk(sha(h.block(h.images.get(i1)!, 8)))!.packName;
    chains.delete(i1);
    const r = await collectGarbage(h.store);
    // four of I1's five chunks are garbage; block 8 lives on in I2 (merged), so the pack is 80 % dead
    expect(r.chunksRemoved).toBe(4);
    expect(r.packsRepacked).toBe(1);
    expect(r.packsWritten).toBe(1);
    expect(h.packFiles()).not.toContain(i1Pack);
    expect(r.bytesFreed).toBeGreaterThanOrEqual(4 * BS);
    expect(before - h.packBytesOnDisk()).toBe(r.bytesFreed);
    expect(h.consistent()).toBe(true);
    expect(await h.allRestoreIdentical()).toBe(true);
  });

  it('does not copy a chunk that fails its hash while repacking: it is marked damaged with its points and leaves the index', async () => {
    const { i1, i2, v1 } = history();
    const block8 = sha(h.block(v1, 8));
    const loc = h.catalog.chunk(block8)!;
    const file = h.store.backend.pathOf(loc.packName);
    const bytes = fs.readFileSync(file);
    bytes[loc.offset + Math.floor(loc.length / 2)]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    chains.delete(i1);
    await collectGarbage(h.store);
    expect(h.store.damage.has(block8)).toBe(true);
    expect(h.catalog.chunk(block8)).toBeUndefined();
    h.store.damage.settle();
    expect(h.catalog.point(i2)!.damaged).toBe(true);
    expect(h.consistent()).toBe(true);
  });

  it('drops a pack with no live chunk at all without copying anything', async () => {
    const v0 = h.image();
    const f = h.commit(v0, h.all(), null);
    const v1 = h.changed(v0, [1, 2]);
    const i1 = h.commit(v1, [1, 2], f);
    h.commit(h.changed(v1, [1, 2]), [1, 2], i1);
    chains.delete(i1);
    const r = await collectGarbage(h.store);
    expect(r).toMatchObject({ chunksRemoved: 2, packsDropped: 1, packsRepacked: 0, packsWritten: 0 });
    expect(await h.allRestoreIdentical()).toBe(true);
  });

  it('keeps an unreferenced chunk that a running backup has been told the store holds', async () => {
    const { i1, i2, v1 } = history();
    chains.delete(i1);
    // a backup in flight offers block 1 with I1's old content: the store says it has it
    const writer = h.store.openWriter();
    const old = sha(h.block(v1, 1));
    expect(h.store.reuseChunk(writer, old)).toBe(true);
    const r = await collectGarbage(h.store);
    expect(r.chunksPinned).toBe(1);
    expect(h.catalog.hasChunk(old)).toBe(true);
    writer.discard();
    expect(h.store.pinnedChunks().size).toBe(0);
    expect(h.catalog.point(i2)).toBeDefined();
  });

  it('leaves the catalog consistent when killed right after a repack commit, and recover() finishes the cleanup', async () => {
    const { i1 } = history();
    chains.delete(i1);
    const packsBefore = h.packFiles();
    await expect(
      collectGarbage(h.store, {
        afterRepackCommit: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(h.consistent()).toBe(true);
    // the old pack is no longer registered but still on disk: garbage for the next start
    const orphans = h.store.recover();
    expect(orphans).toHaveLength(1);
    expect(packsBefore).toContain(orphans[0]);
    expect(await h.allRestoreIdentical()).toBe(true);
    const again = await collectGarbage(h.store);
    expect(again).toMatchObject({ chunksRemoved: 0, packsRepacked: 0, packsDropped: 0 });
  });

  it('waits for readers before deleting old pack files', async () => {
    const { i1 } = history();
    chains.delete(i1);
    let asked = 0;
    const r = await collectGarbage(h.store, { canRemoveFiles: () => ++asked > 2 });
    expect(asked).toBeGreaterThan(2);
    expect(r.packsRepacked).toBe(1);
    expect(h.consistent()).toBe(true);
  });
});
