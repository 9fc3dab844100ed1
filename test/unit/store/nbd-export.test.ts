// The NBD export of a point in-process: a real export on a unix socket, read by the agent's
// NBD client with many requests in flight, and a damaged chunk under it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NbdClient } from '../../../src/protocol/nbd/client.js';
import { NbdExportServer, type NbdDamage } from '../../../src/store/nbd-server.js';
import { SIZE, StoreHarness, sha } from './harness.js';

describe('NBD export of a point', () => {
  let h: StoreHarness;
  let server: NbdExportServer | null = null;

  beforeEach(() => {
    h = new StoreHarness();
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    fs.rmSync(h.dir, { recursive: true, force: true });
  });

  async function exportPoint(pointId: number, onDamage?: (d: NbdDamage) => void): Promise<NbdClient> {
    const socket = path.join(h.dir, 'nbd.sock');
    server = new NbdExportServer({ store: h.store, pointId, volume: 'disk', socket, onDamage });
    await server.listen();
    return NbdClient.connect({ path: socket }, 'disk');
  }

  it('answers many reads in flight at once, each with the bytes of its own range, sequential or not', async () => {
    const img = h.image();
    const id = h.commit(img, h.all(), null);
    const nbd = await exportPoint(id);
    try {
      const ranges = Array.from({ length: 64 }, (_, k) => {
        const offset = (k * 7919) % (SIZE - 1);
        return { offset, length: Math.min(SIZE - offset, 1 + ((k * 104729) % 9000)) };
      });
      const got = await Promise.all(ranges.map((r) => nbd.read(r.offset, r.length)));
      ranges.forEach((r, k) => expect(got[k]!.equals(img.subarray(r.offset, r.offset + r.length)), `read ${r.offset}+${r.length}`).toBe(true));
      for (let round = 0; round < 2; round++) {
        const parts: Buffer[] = [];
        for (let o = 0; o < SIZE; o += 5000) parts.push(await nbd.read(o, Math.min(5000, SIZE - o)));
        expect(Buffer.concat(parts).equals(img)).toBe(true);
      }
    } finally {
      await nbd.close();
    }
  });

  it('fails the read of a damaged chunk with its volume and block named, and marks the chunk damaged', async () => {
    const img = h.image();
    const id = h.commit(img, h.all(), null);
    const loc = h.catalog.chunk(sha(h.block(img, 3)))!;
    const fd = fs.openSync(h.store.backend.pathOf(loc.packName), 'r+');
    fs.writeSync(fd, Buffer.from('damaged!'), 0, 8, loc.offset + 4);
    fs.closeSync(fd);
    const seen: NbdDamage[] = [];
    const nbd = await exportPoint(id, (d) => seen.push(d));
    try {
      await expect(nbd.read(3 * 4096, 4096)).rejects.toThrow(/volume disk block 3/);
      expect(seen[0]).toMatchObject({ volume: 'disk', block: 3 });
      expect(h.store.damage.has(sha(h.block(img, 3)))).toBe(true);
      // the blocks around it still read
      expect((await nbd.read(0, 3 * 4096)).equals(img.subarray(0, 3 * 4096))).toBe(true);
    } finally {
      await nbd.close().catch(() => undefined);
    }
  });

  it('lets go of its decode memory as it closes: a hub that mounts and unmounts again and again does not keep each export\'s ~100 MiB', async () => {
    const img = h.image();
    const id = h.commit(img, h.all(), null);
    const nbd = await exportPoint(id);
    const parts: Buffer[] = [];
    for (let o = 0; o < SIZE; o += 65536) parts.push(await nbd.read(o, Math.min(65536, SIZE - o)));
    expect(Buffer.concat(parts).equals(img)).toBe(true);
    await nbd.close();
    let freed = false;
    const registry = new FinalizationRegistry(() => (freed = true));
    // in a frame of its own: a suspended async frame keeps what its registers last held
    const watched = (() => {
      const memory = server!.decodeMemory();
      if (memory) registry.register(memory, 'ring');
      return memory instanceof SharedArrayBuffer;
    })();
    expect(watched).toBe(true);
    await server!.close();
    server = null;
    // nothing here allocates enough for a collection of its own: only the export's frees it
    for (let i = 0; i < 50 && !freed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(freed).toBe(true);
  });
});
