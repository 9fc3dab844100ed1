// The block store in-process: catalog + local pack directory + chunk writer + restore.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { Catalog } from '../../../src/catalog/catalog.js';
import { merkleRootPacked } from '../../../src/protocol/merkle.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { BlockStore, CODEC_RAW, CODEC_ZSTD, type NewPoint } from '../../../src/store/block-store.js';
import { StoreError } from '../../../src/store/errors.js';
import { FLAG_ZERO, type ManifestEntry } from '../../../src/store/manifest.js';
import { restoreVolume } from '../../../src/store/restore.js';

const BS = 4096;
// ten whole blocks and a short last one
const SIZE = 10 * BS + 1000;
const BLOCKS = Math.ceil(SIZE / BS);

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

function blockOf(img: Buffer, i: number): Buffer {
  return img.subarray(i * BS, Math.min(img.length, (i + 1) * BS));
}

/** An image with random blocks, a compressible block (2) and an all-zero block (5). */
function makeImage(): Buffer {
  const img = randomBytes(SIZE);
  img.fill('drc '.repeat(16), 2 * BS, 3 * BS);
  img.fill(0, 5 * BS, 6 * BS);
  return img;
}

function isZero(b: Buffer): boolean {
  return b.every((x) => x === 0);
}

describe('BlockStore', () => {
  let dir: string;
  let catalog: Catalog;
  let store: BlockStore;
  let volumeId: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-store-'));
    catalog = new Catalog(path.join(dir, 'catalog.db'));
    store = new BlockStore(catalog, new LocalDirectoryBackend(path.join(dir, 'packs')));
    const host = catalog.addHost('h1', [], null, 'x'.repeat(64), new Date(0).toISOString());
    volumeId = catalog.upsertVolume(host.id, 'disk', '/dev/null', SIZE, BS).id;
  });

  afterEach(() => {
    store.backend.close();
    catalog.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What the hub does for one job-volume: write the listed blocks' chunks, then commit. */
  function commit(img: Buffer, blocks: number[], base: number | null, merkleRoot?: string): number {
    const writer = store.openWriter();
    const entries: ManifestEntry[] = [];
    for (const i of blocks) {
      const b = blockOf(img, i);
      const h = sha(b);
      if (isZero(b)) {
        entries.push({ index: i, flags: FLAG_ZERO, hash: h });
        continue;
      }
      entries.push({ index: i, flags: 0, hash: h });
      // like the hub's receive: a chunk the store or this writer already holds is not sent again
      if (store.hasChunk(h) || writer.has(h)) continue;
      const z = compress(b);
      const useZ = z.length < b.length;
      writer.put(h, useZ ? CODEC_ZSTD : CODEC_RAW, b.length, useZ ? z : Buffer.from(b));
    }
    const np: NewPoint = {
      volumeId,
      jobId: null,
      time: new Date().toISOString(),
      type: base === null ? 'full' : 'incremental',
      parentId: base,
      size: img.length,
      blockSize: BS,
      blockCount: BLOCKS,
      entries,
      merkleRoot: merkleRoot ?? rootOf(img),
    };
    try {
      return store.commitPoint(np, writer);
    } catch (e) {
      writer.discard();
      throw e;
    }
  }

  function rootOf(img: Buffer): string {
    return merkleRootPacked(Buffer.concat(Array.from({ length: BLOCKS }, (_, i) => sha(blockOf(img, i)))));
  }

  async function restored(pointId: number): Promise<Buffer> {
    const out = path.join(dir, `restore-${pointId}.img`);
    const r = await restoreVolume(store, pointId, 'disk', out);
    expect(r.size).toBe(SIZE);
    const bytes = fs.readFileSync(out);
    fs.rmSync(out);
    return bytes;
  }

  const all = Array.from({ length: BLOCKS }, (_, i) => i);

  it('restores a full point and an incremental on top of it byte-identical', async () => {
    const v1 = makeImage();
    const full = commit(v1, all, null);
    const v2 = Buffer.from(v1);
    randomBytes(BS).copy(v2, 1 * BS);
    v2.fill(0, 7 * BS, 8 * BS); // a block that became zero
    randomBytes(1000).copy(v2, 10 * BS); // the short last block
    const inc = commit(v2, [1, 7, 10], full);

    expect(catalog.point(full)).toMatchObject({ type: 'full', changedBlocks: BLOCKS, parentId: null });
    expect(catalog.point(inc)).toMatchObject({ type: 'incremental', changedBlocks: 3, parentId: full });
    expect((await restored(full)).equals(v1)).toBe(true);
    expect((await restored(inc)).equals(v2)).toBe(true);
  });

  it('commits a point whose chunks are all in the store already without writing a pack', async () => {
    const v1 = makeImage();
    const full = commit(v1, all, null);
    const { packs, chunks, bytesStored } = catalog.storeStats();
    const again = commit(v1, [0, 1, 2], full);
    expect(catalog.storeStats()).toMatchObject({ packs, chunks, bytesStored });
    expect(catalog.point(again)).toMatchObject({ bytesNew: 0, changedBlocks: 3 });
    expect((await restored(again)).equals(v1)).toBe(true);
  });

  it('refuses a point whose Merkle root differs and leaves no point and no registered pack', () => {
    const v1 = makeImage();
    const wrong = 'f'.repeat(64);
    expect(() => commit(v1, all, null, wrong)).toThrow(/Merkle root mismatch/);
    expect(() => commit(v1, all, null, wrong)).toThrow(StoreError);
    expect(catalog.allPoints()).toEqual([]);
    expect(catalog.packNames().size).toBe(0);
    expect(catalog.storeStats().chunks).toBe(0);
  });

  it('refuses a full point that lacks a block', () => {
    expect(() => commit(makeImage(), all.slice(1), null)).toThrow(/full point lacks block 0/);
    expect(catalog.allPoints()).toEqual([]);
  });

  it('refuses an entry whose chunk was never received', () => {
    const v1 = makeImage();
    const writer = store.openWriter();
    const entries = all.map((i) => ({ index: i, flags: 0, hash: sha(blockOf(v1, i)) }));
    expect(() =>
      store.commitPoint(
        { volumeId, jobId: null, time: new Date().toISOString(), type: 'full', parentId: null, size: SIZE, blockSize: BS, blockCount: BLOCKS, entries, merkleRoot: rootOf(v1) },
        writer,
      ),
    ).toThrow(/block 0: chunk [0-9a-f]+ was never received/);
    writer.discard();
    expect(catalog.allPoints()).toEqual([]);
  });

  it('recover() removes pack files the catalog does not know and keeps committed ones', async () => {
    const v1 = makeImage();
    const full = commit(v1, all, null);
    const committed = [...catalog.packNames()];
    // a job that wrote and synced its packs but crashed before the catalog transaction
    const writer = store.openWriter();
    writer.put(sha(Buffer.from('orphan')), CODEC_RAW, 6, Buffer.from('orphan'));
    const sealed = writer.seal();
    expect(store.backend.list().sort()).toEqual([...committed, ...sealed.packs.map((p) => p.name)].sort());

    expect(store.recover()).toEqual(sealed.packs.map((p) => p.name));
    expect(store.backend.list().sort()).toEqual(committed.sort());
    expect(store.recover()).toEqual([]);
    expect((await restored(full)).equals(v1)).toBe(true);
  });

  it('names the volume and block when a stored chunk is damaged', async () => {
    const v1 = makeImage();
    const full = commit(v1, all, null);
    const loc = catalog.chunk(sha(blockOf(v1, 3)))!;
    const file = store.backend.pathOf(loc.packName);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([v1[3 * BS + 100]! ^ 0xff]), 0, 1, loc.offset + 100);
    fs.closeSync(fd);
    const out = path.join(dir, 'damaged.img');
    await expect(restoreVolume(store, full, 'disk', out)).rejects.toThrow(/^volume disk block 3: .*damaged/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('damaged.img'))).toEqual([]);
  });

  it('refuses a point whose chunk is missing from the index, naming the block, and leaves no file; --allow-damaged writes zeros there', async () => {
    const v1 = makeImage();
    const full = commit(v1, all, null);
    catalog.repos.maintenance.deleteChunks([sha(blockOf(v1, 8))]);
    const out = path.join(dir, 'lost.img');
    await expect(restoreVolume(store, full, 'disk', out)).rejects.toThrow(/^volume disk point \d+ is damaged at block 8; nothing written/);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('lost.img'))).toEqual([]);
    const r = await restoreVolume(store, full, 'disk', out, { allowDamaged: true });
    expect(r.zeroedBlocks).toEqual([8]);
    const bytes = fs.readFileSync(out);
    expect(isZero(blockOf(bytes, 8))).toBe(true);
    expect(Buffer.compare(blockOf(bytes, 7), blockOf(v1, 7))).toBe(0);
    expect(Buffer.compare(blockOf(bytes, 10), blockOf(v1, 10))).toBe(0);
  });
});
