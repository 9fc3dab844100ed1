// The chunk writer of an encrypted store (the hub's ingest): every chunk sealed where its
// record says, packs rolled, indexed and walkable record by record, nothing left when dropped.
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

const cipher = new StoreCipher(randomBytes(32));
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

describe('ChunkWriter of an encrypted store', () => {
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
    const w = new ChunkWriter(backend, { cipher, background: true, targetBytes: 2 << 20, onPackSealed: (p) => sealedPacks.push(p.name) });
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

  it('leaves no pack behind when discarded while full packs are being fsynced', () => {
    const w = new ChunkWriter(backend, { cipher, background: true, targetBytes: 1 << 20 });
    fill(w, 200);
    expect(backend.list().length).toBeGreaterThan(3);
    w.discard();
    expect(backend.list()).toEqual([]);
  });
});
