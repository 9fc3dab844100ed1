// The chunk writer of an encrypted store sealing chunks in worker threads (the hub's ingest):
// the packs it writes are the ones the event-loop path writes, chunk for chunk.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { CODEC_RAW, CODEC_ZSTD } from '../../../src/store/block-store.js';
import { ChunkWriter } from '../../../src/store/chunk-writer.js';
import { StoreCipher, open } from '../../../src/store/crypto.js';
import { TRAILER_BYTES, decodePackIndex, readTrailer, scanPackRecords } from '../../../src/store/pack-index.js';
import { SealPool } from '../../../src/store/seal-pool.js';

const pool = new SealPool(2);
const cipher = new StoreCipher(randomBytes(32));
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

describe('ChunkWriter sealing in worker threads', () => {
  let dir: string;
  let backend: LocalDirectoryBackend;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-sealed-'));
    backend = new LocalDirectoryBackend(dir);
  });

  afterEach(() => {
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Blocks of assorted sizes (as compressed payloads are), each put once, one twice. */
  function fill(w: ChunkWriter, n: number): Map<string, Buffer> {
    const put = new Map<string, Buffer>();
    for (let i = 0; i < n; i++) {
      const b = randomBytes(1000 + ((i * 7919) % 60000));
      const h = sha(b);
      w.put(h, i % 3 ? CODEC_RAW : CODEC_ZSTD, b.length, b);
      if (i === 5) w.put(h, CODEC_RAW, b.length, b);
      put.set(h.toString('hex'), b);
    }
    return put;
  }

  it('writes every chunk sealed at the place it recorded, with packs rolled at their target and indexed', async () => {
    const sealedPacks: string[] = [];
    const w = new ChunkWriter(backend, { cipher, sealPool: pool, background: true, targetBytes: 2 << 20, onPackSealed: (p) => sealedPacks.push(p.name) });
    const put = fill(w, 300);
    const { packs, chunks } = await w.sealAsync();
    expect(packs.length).toBeGreaterThan(3);
    expect(sealedPacks.sort()).toEqual(packs.map((p) => p.name).sort());
    expect(chunks.length).toBe(put.size);
    for (const c of chunks) {
      const stored = backend.read(c.packName, c.offset, c.length);
      expect(open(cipher.packKey(c.packName), stored, c.hash).equals(put.get(c.hash.toString('hex'))!)).toBe(true);
    }
    for (const p of packs) {
      const bytes = fs.readFileSync(backend.pathOf(p.name));
      expect(bytes.length).toBe(p.size);
      expect(p.size).toBeLessThanOrEqual(2 << 20);
      const t = readTrailer(bytes.subarray(bytes.length - TRAILER_BYTES), bytes.length)!;
      const index = decodePackIndex(bytes.subarray(t.offset, t.offset + t.length), cipher.packKey(p.name), p.name);
      const mine = chunks.filter((c) => c.packName === p.name);
      expect(index.map((e) => [e.hash.toString('hex'), e.offset, e.length])).toEqual(mine.map((c) => [c.hash.toString('hex'), c.offset, c.length]));
      // the records themselves walk to the index section: nothing half-written in between
      expect(scanPackRecords(bytes.subarray(0, t.offset), p.name).map((e) => e.offset)).toEqual(mine.map((c) => c.offset));
    }
  });

  it('keeps every sealed chunk intact when blocks arrive over many turns of the event loop, as ingest feeds it', async () => {
    // small packs: each pack's last batch is short, and later batches are sealed while it waits to be written
    const w = new ChunkWriter(backend, { cipher, sealPool: pool, background: true, targetBytes: 600 << 10 });
    const put = new Map<string, Buffer>();
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 6; i++) {
        const b = randomBytes(20_000 + ((round * 6 + i) * 7919) % 40_000);
        const h = sha(b);
        w.put(h, CODEC_RAW, b.length, b);
        put.set(h.toString('hex'), b);
      }
      await new Promise((r) => setTimeout(r, 2)); // the workers answer between two frames
    }
    const { packs, chunks } = await w.sealAsync();
    expect(packs.length).toBeGreaterThan(5);
    expect(chunks.length).toBe(put.size);
    for (const c of chunks) {
      const stored = backend.read(c.packName, c.offset, c.length);
      expect(open(cipher.packKey(c.packName), stored, c.hash).equals(put.get(c.hash.toString('hex'))!)).toBe(true);
    }
  });

  it('refuses to be completed synchronously while chunks are being sealed', async () => {
    const w = new ChunkWriter(backend, { cipher, sealPool: pool, background: true });
    fill(w, 40);
    expect(() => w.seal()).toThrow(/sealAsync/);
    await w.sealAsync();
  });

  it('leaves no pack behind when discarded while chunks are being sealed', async () => {
    const w = new ChunkWriter(backend, { cipher, sealPool: pool, background: true, targetBytes: 1 << 20 });
    fill(w, 200);
    w.discard();
    expect(backend.list()).toEqual([]);
    // once every batch in flight has come back from the workers: still nothing
    await w.sealAsync().catch(() => undefined);
    expect(backend.list()).toEqual([]);
  });

  it('asks its feeder to wait while the seal workers are behind, and lets it go on once they catch up', async () => {
    const w = new ChunkWriter(backend, { cipher, sealPool: pool, background: true });
    const block = randomBytes(65536);
    let i = 0;
    // put as fast as frames could arrive, with no turn of the event loop for the workers' answers
    while (!w.congested() && i < 4096) {
      const h = Buffer.alloc(32);
      h.writeUInt32LE(++i);
      w.put(h, CODEC_RAW, block.length, block);
    }
    expect(w.congested()).toBe(true);
    await w.drained();
    expect(w.congested()).toBe(false);
    const { chunks } = await w.sealAsync();
    expect(chunks.length).toBe(i);
  });
});
