// One volume of a backup as the hub receives it: the blocks it asks for, the frames it refuses,
// and the manifest it commits (every offered block, with the content that arrived), with the real
// chunk writer appending to pack files in a temp dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VolumeReceive } from '../../../src/hub/receive.js';
import { FLAG_ZERO, encodeOffer } from '../../../src/protocol/agent.js';
import { CODEC_RAW, decodeBlockFrame, encodeBlockFrame } from '../../../src/protocol/frames.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { ChunkWriter } from '../../../src/store/chunk-writer.js';

const BLOCK = 4096;
let dir: string;
let backend: LocalDirectoryBackend;
/** hashes the store holds already (hex) */
let stored: Set<string>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-receive-'));
  backend = new LocalDirectoryBackend(dir);
  stored = new Set();
});
afterEach(() => {
  backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function volume(blocks: number): VolumeReceive {
  const store = {
    openWriter: () => new ChunkWriter(backend),
    reuseChunks: (_w: ChunkWriter, hashes: Buffer[]) => new Set(hashes.map((h) => h.toString('hex')).filter((h) => stored.has(h))),
  };
  return new VolumeReceive(store, 1, 'disk', 'full', BLOCK, blocks, blocks * BLOCK);
}

const sha = (b: Buffer): Buffer => crypto.createHash('sha256').update(b).digest();
const offer = (entries: { index: number; flags: number; hash: Buffer }[]): Buffer => Buffer.from(encodeOffer(entries), 'base64');
const frame = (index: number, bytes: Buffer): Buffer => encodeBlockFrame({ codec: CODEC_RAW, volumeIndex: 0, jobId: 1, blockIndex: index, rawLength: bytes.length, hash: sha(bytes) }, bytes);
const receive = (v: VolumeReceive, f: Buffer): void => v.block(decodeBlockFrame(f), f.length);

describe('volume receive', () => {
  it('asks only for contents it lacks, once each, and commits every offered block with what arrived', async () => {
    const blocks = Array.from({ length: 3000 }, (_, i) => {
      const b = Buffer.alloc(BLOCK);
      b.writeUInt32LE(i % 700); // 700 contents, repeated
      return b;
    });
    stored.add(sha(blocks[5]!).toString('hex'));
    const v = volume(blocks.length + 1);
    const entries = blocks.map((b, index) => ({ index, flags: 0, hash: sha(b) }));
    const zero = { index: blocks.length, flags: FLAG_ZERO, hash: Buffer.alloc(32) };
    const asked: number[] = [];
    // offers of 64 as the agent sends them, the last one short and holding the zero block
    const all = [...entries, zero];
    for (let k = 0, seq = 0; k < all.length; k += 64, seq++) asked.push(...v.offer(seq, offer(all.slice(k, k + 64))));
    expect(asked).toEqual(Array.from({ length: 700 }, (_, i) => i).filter((i) => i !== 5));
    // a block re-read after the scan arrives with new content: the point holds the new content
    const reread = Buffer.alloc(BLOCK, 0xee);
    for (const i of asked) receive(v, frame(i, i === 7 ? reread : blocks[i]!));
    expect(v.missing()).toBe(0);
    const manifest = new Map(v.manifestEntries().map((e) => [e.index, e]));
    expect(manifest.size).toBe(blocks.length + 1);
    expect(manifest.get(7)!.hash).toEqual(sha(reread));
    expect(manifest.get(1234)!.hash).toEqual(sha(blocks[1234]!));
    expect(manifest.get(blocks.length)!.flags & FLAG_ZERO).toBe(FLAG_ZERO);
    // the chunks written read back from the packs byte for byte
    const { chunks } = await v.writer.sealAsync();
    expect(chunks).toHaveLength(699);
    const c = chunks.find((x) => x.hash.equals(sha(reread)))!;
    expect(backend.read(c.packName, c.offset, c.length)).toEqual(reread);
  });

  it('refuses a block offered twice, a block it did not ask for, and a damaged payload', () => {
    const v = volume(8);
    const b = Buffer.alloc(BLOCK, 1);
    expect(v.offer(0, offer([{ index: 0, flags: 0, hash: sha(b) }]))).toEqual([0]);
    expect(() => v.offer(1, offer([{ index: 0, flags: 0, hash: sha(b) }]))).toThrow('block 0 offered twice');
    expect(() => v.offer(2, offer([{ index: 8, flags: 0, hash: sha(b) }]))).toThrow('offer names block 8 of 8');
    expect(() => receive(v, frame(1, b))).toThrow('block 1 was not asked for');
    const damaged = frame(0, b);
    damaged[damaged.length - 1]! ^= 0xff;
    expect(() => receive(v, damaged)).toThrow('arrived damaged');
    expect(v.missing()).toBe(1);
  });
});
