// The chunk writer rolling packs over while it writes, with the fsync of full packs in the
// thread pool (the hub's receive path): every pack ends durable, indexed and announced once.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { CODEC_RAW } from '../../../src/store/block-store.js';
import { ChunkWriter } from '../../../src/store/chunk-writer.js';
import { TRAILER_BYTES, decodePackIndex, readTrailer } from '../../../src/store/pack-index.js';

const BS = 4096;

describe('ChunkWriter with background fsync', () => {
  let dir: string;
  let backend: LocalDirectoryBackend;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-writer-'));
    backend = new LocalDirectoryBackend(dir);
  });

  afterEach(() => {
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function fill(w: ChunkWriter, n: number): Buffer[] {
    const blocks = Array.from({ length: n }, () => randomBytes(BS));
    for (const b of blocks) w.put(createHash('sha256').update(b).digest(), CODEC_RAW, BS, b);
    return blocks;
  }

  function indexOf(name: string): Buffer[] {
    const file = backend.pathOf(name);
    const bytes = fs.readFileSync(file);
    const t = readTrailer(bytes.subarray(bytes.length - TRAILER_BYTES), bytes.length)!;
    return decodePackIndex(bytes.subarray(t.offset, t.offset + t.length), null, name).map((e) => e.hash);
  }

  for (const how of ['sealAsync', 'seal'] as const) {
    it(`leaves every rolled-over pack complete and announces each once (${how})`, async () => {
      const announced: string[] = [];
      const w = new ChunkWriter(backend, { targetBytes: 3 * BS, background: true, onPackSealed: (p) => announced.push(p.name) });
      const blocks = fill(w, 10);
      const sealed = how === 'sealAsync' ? await w.sealAsync() : w.seal();
      await new Promise((r) => setTimeout(r, 50)); // background fsyncs that were overtaken have ended
      expect(sealed.packs.length).toBeGreaterThanOrEqual(4);
      expect([...announced].sort()).toEqual(sealed.packs.map((p) => p.name).sort());
      const indexed = sealed.packs.flatMap((p) => indexOf(p.name).map((h) => h.toString('hex')));
      expect(indexed.sort()).toEqual(blocks.map((b) => createHash('sha256').update(b).digest('hex')).sort());
      for (const p of sealed.packs) expect(fs.statSync(backend.pathOf(p.name)).size).toBe(p.size);
    });
  }

  it('drops the packs of a discarded writer, and announces none that was still being fsynced', async () => {
    const announced: string[] = [];
    const w = new ChunkWriter(backend, { targetBytes: 3 * BS, background: true, onPackSealed: (p) => announced.push(p.name) });
    fill(w, 10);
    w.discard();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.list()).toEqual([]);
    expect(announced).toEqual([]);
  });
});
