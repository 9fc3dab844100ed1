// Verify: clean points pass, a damaged chunk is named by volume and block in every point
// that uses it, sampling reads fewer chunks, and a manifest that lost its Merkle root fails.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPoints } from '../../../src/store/verify.js';
import { BLOCKS, StoreHarness, sha } from './harness.js';

describe('verify', () => {
  let h: StoreHarness;
  let f: number;
  let i1: number;

  beforeEach(() => {
    h = new StoreHarness();
    const v0 = h.image();
    f = h.commit(v0, h.all(), null);
    i1 = h.commit(h.changed(v0, [2]), [2], f);
  });

  afterEach(() => h.close());

  const points = () => h.catalog.points(h.volumeId).map((p) => ({ id: p.id, volume: 'disk' }));

  it('passes clean points, reading each distinct chunk once', async () => {
    const r = await verifyPoints(h.store, points());
    expect(r.map((x) => x.ok)).toEqual([true, true]);
    // eleven non-zero blocks per image; I1 shares ten of them with F
    expect(r[0]!.chunksChecked).toBe(BLOCKS - 1);
    expect(r[1]!.chunksChecked).toBe(BLOCKS - 1);
  });

  it('names the volume and block of a damaged chunk in every point that uses it', async () => {
    const loc = h.catalog.chunk(sha(h.block(h.images.get(f)!, 7)))!;
    const file = h.store.backend.pathOf(loc.packName);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, loc.offset + 10);
    fs.closeSync(fd);
    h.store.backend.close(); // drop cached descriptors so the damage is read
    const r = await verifyPoints(h.store, points());
    for (const p of r) {
      expect(p.ok).toBe(false);
      expect(p.problems).toHaveLength(1);
      expect(p.problems[0]).toMatchObject({ volume: 'disk', block: 7 });
      expect(p.problems[0]!.message).toMatch(new RegExp(`pack ${loc.packName} at offset ${loc.offset} is damaged`));
    }
  });

  it('reads only a sample of the chunks when asked', async () => {
    const full = await verifyPoints(h.store, points(), { samplePct: 100 });
    const some = await verifyPoints(h.store, points(), { samplePct: 30, seed: 7 });
    expect(some[0]!.chunksChecked).toBeLessThan(full[0]!.chunksChecked);
    expect(some.every((p) => p.ok)).toBe(true);
  });

  it('fails a point whose manifests no longer give its recorded Merkle root', async () => {
    h.catalog.db.prepare("UPDATE points SET merkle_root = ? WHERE id = ?").run('0'.repeat(64), i1);
    const r = await verifyPoints(h.store, points());
    expect(r.find((p) => p.pointId === i1)).toMatchObject({ ok: false, problems: [{ block: null, message: expect.stringMatching(/Merkle root/) }] });
  });
});
