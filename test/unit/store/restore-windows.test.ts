// A restore larger than its windows in flight: every window decoded into shared memory and
// written in image order, blocks from several packs and repeated blocks in their places, zero
// runs left as holes that read back as zeros, the short last block written too.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compress } from 'zstd-napi';
import { Catalog } from '../../../src/catalog/catalog.js';
import { merkleRootPacked } from '../../../src/protocol/merkle.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { BlockStore, CODEC_RAW, CODEC_ZSTD } from '../../../src/store/block-store.js';
import { FLAG_ZERO, type ManifestEntry } from '../../../src/store/manifest.js';
import { directWritable, giveRing, spareRings, takeRing } from '../../../src/store/direct-write.js';
import { restoreVolume } from '../../../src/store/restore.js';

const BS = 64 << 10;
// 56 MiB: seven 8 MiB windows (more than are in flight at once) and a short last block
const SIZE = 56 * (1 << 20) + 5000;
const BLOCKS = Math.ceil(SIZE / BS);
const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const blockOf = (img: Buffer, i: number) => img.subarray(i * BS, Math.min(img.length, (i + 1) * BS));

/** Random blocks, text blocks, a run of 40 zero blocks every 300, and block 7's bytes again at 800. */
function makeImage(): Buffer {
  const img = randomBytes(SIZE);
  for (let i = 0; i < BLOCKS; i++) {
    if (i % 300 >= 100 && i % 300 < 140) img.fill(0, i * BS, (i + 1) * BS);
    else if (i % 5 === 0) img.fill(`block ${i} of the text part; `, i * BS, Math.min(SIZE, (i + 1) * BS));
  }
  blockOf(img, 7).copy(img, 800 * BS);
  return img;
}

describe('a restore in windows', () => {
  let dir: string;
  let catalog: Catalog;
  let store: BlockStore;
  let volumeId: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-windows-'));
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

  function commit(img: Buffer, blocks: number[], base: number | null): number {
    const writer = store.openWriter();
    const entries: ManifestEntry[] = [];
    for (const i of blocks) {
      const b = blockOf(img, i);
      const h = sha(b);
      if (b.every((x) => x === 0)) {
        entries.push({ index: i, flags: FLAG_ZERO, hash: h });
        continue;
      }
      entries.push({ index: i, flags: 0, hash: h });
      if (store.hasChunk(h) || writer.has(h)) continue;
      const z = compress(b);
      const useZ = z.length < b.length;
      writer.put(h, useZ ? CODEC_ZSTD : CODEC_RAW, b.length, useZ ? z : Buffer.from(b));
    }
    const hashes = Buffer.concat(Array.from({ length: BLOCKS }, (_, i) => sha(blockOf(img, i))));
    return store.commitPoint(
      { volumeId, jobId: null, time: new Date().toISOString(), type: base === null ? 'full' : 'incremental', parentId: base, size: SIZE, blockSize: BS, blockCount: BLOCKS, entries, merkleRoot: merkleRootPacked(hashes) },
      writer,
    );
  }

  it('restores a full and an incremental of many windows byte-identical, zero runs as holes that read back as zeros', async () => {
    const v1 = makeImage();
    const all = Array.from({ length: BLOCKS }, (_, i) => i);
    const full = commit(v1, all, null);
    // 5% of the blocks rewritten, scattered: the incremental's pack fills places all over the image
    const v2 = Buffer.from(v1);
    const changed = all.filter((i) => i % 20 === 3 && i !== BLOCKS - 1);
    for (const i of changed) randomBytes(BS).copy(v2, i * BS);
    const inc = commit(v2, changed, full);

    for (const [point, want] of [
      [full, v1],
      [inc, v2],
    ] as const) {
      const out = path.join(dir, `restore-${point}.img`);
      const r = await restoreVolume(store, point, 'disk', out);
      const got = fs.readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(got.equals(want)).toBe(true);
      expect(r.blocksWritten).toBe(all.filter((i) => !blockOf(want, i).every((x) => x === 0)).length);
      // the zero runs were never written: the file holds less than its size on the disk
      const zeroBytes = all.filter((i) => blockOf(want, i).every((x) => x === 0)).length * BS;
      expect(fs.statSync(out).blocks * 512).toBeLessThanOrEqual(SIZE - zeroBytes + (1 << 20));
      expect(r.phases.writes).toBeLessThan(r.blocksWritten / 4); // runs of blocks, not one write per block
    }
  });

  it('restores byte-identical without the final fsync too (--no-fsync), past the page cache like a durable one', async () => {
    const img = makeImage();
    const point = commit(img, Array.from({ length: BLOCKS }, (_, i) => i), null);
    const out = path.join(dir, 'nosync.img');
    const r = await restoreVolume(store, point, 'disk', out, { sync: false });
    expect(fs.readFileSync(out).equals(img)).toBe(true);
    // written with O_DIRECT wherever the filesystem takes it (tmpfs does not: then buffered)
    const probe = path.join(dir, 'probe');
    fs.writeFileSync(probe, '');
    expect(r.phases.direct).toBe(directWritable(probe) ? 1 : 0);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('restores one after another, however far apart, reuse one window ring: the hub does not keep a new one per restore', async () => {
    const img = makeImage();
    const point = commit(img, Array.from({ length: BLOCKS }, (_, i) => i), null);
    const out = path.join(dir, 'again.img');
    await restoreVolume(store, point, 'disk', out);
    expect(spareRings()).toBe(1);
    const ring = takeRing(4, 8 << 20);
    // an hour idle between two restores (a ring let go after a while stayed in memory until
    // every pack-reader worker collected its handles: ~37 MB more RSS per restore)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      giveRing(ring);
      vi.advanceTimersByTime(3_600_000);
    } finally {
      vi.useRealTimers();
    }
    fs.rmSync(out);
    await restoreVolume(store, point, 'disk', out);
    expect(fs.readFileSync(out).equals(img)).toBe(true);
    expect(spareRings()).toBe(1);
    const again = takeRing(4, 8 << 20);
    giveRing(again);
    expect(again).toBe(ring);
  });
});
