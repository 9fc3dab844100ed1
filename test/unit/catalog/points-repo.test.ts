// Recovery points and the chunk index as the store relies on them: chains read oldest first,
// the latest point of a volume, manifests kept byte for byte, and every chunk found where it was put.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewPointRow, PointRow } from '../../../src/catalog/points-repo.js';
import { TempCatalog } from './temp-catalog.js';

const NOW = '2025-03-01T00:00:00.000Z';
let t: TempCatalog;
let volumeId: number;

function point(parentId: number | null, type: PointRow['type'], time: string, volume = volumeId): NewPointRow {
  return { volumeId: volume, jobId: null, time, type, parentId, size: 1 << 20, blockSize: 65536, blockCount: 16, changedBlocks: 2, bytesNew: 131072, merkleRoot: 'ab'.repeat(32) };
}
const hash = (b: number): Buffer => Buffer.alloc(32, b);

beforeEach(() => {
  t = new TempCatalog();
  const host = t.catalog.repos.hosts.add('db-1', ['prod'], 'gold', 'hash', NOW);
  volumeId = t.catalog.repos.hosts.upsertVolume(host.id, 'data', '/dev/vdb', 1 << 20, 65536).id;
});
afterEach(() => t.dispose());

describe('points repository', () => {
  it('lists a volume chain oldest first, so every parent comes before its children', () => {
    const points = t.catalog.repos.points;
    const full = points.insert(point(null, 'full', '2025-03-01T01:00:00.000Z'), Buffer.from('m0'));
    const inc1 = points.insert(point(full, 'incremental', '2025-03-01T02:00:00.000Z'), Buffer.from('m1'));
    const inc2 = points.insert(point(inc1, 'incremental', '2025-03-01T03:00:00.000Z'), Buffer.from('m2'));
    const chain = points.ofVolume(volumeId);
    expect(chain.map((p) => [p.id, p.parentId, p.type])).toEqual([[full, null, 'full'], [inc1, full, 'incremental'], [inc2, inc1, 'incremental']]);
    expect(points.latest(volumeId)?.id).toBe(inc2);
  });

  it('keeps each volume chain apart and a point manifest byte for byte across a reopen', () => {
    const host = t.catalog.repos.hosts.byName('db-1')!;
    const other = t.catalog.repos.hosts.upsertVolume(host.id, 'log', '/dev/vdc', 1 << 20, 65536).id;
    const manifest = Buffer.from([0, 1, 2, 255, 254, 0]);
    const mine = t.catalog.repos.points.insert(point(null, 'full', NOW), manifest);
    t.catalog.repos.points.insert(point(null, 'full', NOW, other), Buffer.from('other'));
    const points = t.reopen().repos.points;
    expect(points.ofVolume(volumeId).map((p) => p.id)).toEqual([mine]);
    expect(points.manifest(mine).equals(manifest)).toBe(true);
    expect(points.get(mine)).toMatchObject({ volumeId, type: 'full', parentId: null, verifiedAt: null });
  });

  it('has no latest point and no chain for a volume never backed up', () => {
    expect(t.catalog.repos.points.latest(volumeId)).toBeUndefined();
    expect(t.catalog.repos.points.ofVolume(volumeId)).toEqual([]);
  });
});

describe('chunk index', () => {
  it('finds each chunk in the pack and at the offset it was indexed with, by single lookup and by locator', () => {
    const points = t.catalog.repos.points;
    const a = points.insertPack('pack-a', 4096, NOW);
    const b = points.insertPack('pack-b', 8192, NOW);
    points.insertChunk(hash(1), a, 0, 100, 65536, 1);
    points.insertChunk(hash(2), b, 512, 200, 65536, 0);
    const locate = points.chunkLocator();
    for (const find of [(h: Buffer) => points.chunk(h), locate]) {
      expect(find(hash(1))).toEqual({ packId: a, packName: 'pack-a', offset: 0, length: 100, rawLength: 65536, codec: 1 });
      expect(find(hash(2))).toEqual({ packId: b, packName: 'pack-b', offset: 512, length: 200, rawLength: 65536, codec: 0 });
      expect(find(hash(3))).toBeUndefined();
    }
    expect(points.hasChunk(hash(2))).toBe(true);
    expect(points.hasChunk(hash(3))).toBe(false);
    expect(points.packNames()).toEqual(new Set(['pack-a', 'pack-b']));
  });

  it('answers which hashes of an offer it holds, in batches longer and shorter than one lookup', () => {
    const points = t.catalog.repos.points;
    const a = points.insertPack('pack-a', 4096, NOW);
    const key = (k: number): Buffer => Buffer.from(`${k}`.padStart(32, '0'));
    // every third of 150 hashes is indexed (150: two full lookups of 64 and a short one)
    for (let k = 0; k < 150; k += 3) points.insertChunk(key(k), a, k, 10, 10, 0);
    const asked = Array.from({ length: 150 }, (_, k) => key(k));
    const held = points.chunksPresent(asked);
    expect([...held].sort()).toEqual(asked.filter((_, k) => k % 3 === 0).map((h) => h.toString('hex')).sort());
    // hashes as views into one buffer (as the receive path passes them) and a single one
    const arena = Buffer.concat([key(1), key(3)]);
    expect(points.chunksPresent([arena.subarray(0, 32), arena.subarray(32)])).toEqual(new Set([key(3).toString('hex')]));
    expect(points.chunksPresent([key(4)])).toEqual(new Set());
    expect(points.chunksPresent([])).toEqual(new Set());
  });

  it('keeps the first location of a chunk indexed twice (a block deduplicated across hosts)', () => {
    const points = t.catalog.repos.points;
    const a = points.insertPack('pack-a', 4096, NOW);
    const b = points.insertPack('pack-b', 4096, NOW);
    points.insertChunk(hash(7), a, 64, 100, 65536, 1);
    points.insertChunk(hash(7), b, 0, 100, 65536, 1);
    expect(points.chunk(hash(7))).toMatchObject({ packName: 'pack-a', offset: 64 });
    expect(points.stats()).toMatchObject({ chunks: 1, packs: 2, bytesStored: 8192 });
  });

  it('does not see a chunk whose transaction rolled back', () => {
    const points = t.catalog.repos.points;
    const a = points.insertPack('pack-a', 4096, NOW);
    expect(() =>
      t.catalog.tx(() => {
        points.insertChunk(hash(9), a, 0, 10, 10, 0);
        throw new Error('crash before commit');
      }),
    ).toThrow('crash before commit');
    expect(points.hasChunk(hash(9))).toBe(false);
  });
});
