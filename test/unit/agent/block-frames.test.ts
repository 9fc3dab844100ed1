// A block's frame: text compresses with zstd, random bytes (media, archives, encrypted files)
// go raw without being compressed first, and every frame carries its hash and a CRC the hub checks.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { frameBound, worthCompressing, writeFrame } from '../../../agent/block-frames.js';
import { CODEC_RAW, CODEC_ZSTD, decodeBlockFrame, payloadIntact } from '../../../src/protocol/frames.js';

const zstd = createRequire(import.meta.url)('zstd-napi') as { decompress(b: Buffer): Buffer };

function logText(bytes: number): Buffer {
  const lines: string[] = [];
  let len = 0;
  for (let n = 0; len < bytes; n++) {
    const line = `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}Z web-${n % 5} nginx[${1000 + ((n * 7919) % 60000)}]: GET /api/v1/items/${(n * 104729) % 99991} status ${200 + (n % 3)} ms=${(n * 31) % 5000}\n`;
    lines.push(line);
    len += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

function frameOf(block: Buffer) {
  const out = Buffer.alloc(frameBound(block.length));
  const hash = randomBytes(32);
  const n = writeFrame(out, 0, { volumeIndex: 3, jobId: 7, blockIndex: 11, hash }, block);
  const f = decodeBlockFrame(out.subarray(0, n));
  expect(f.hash.equals(hash)).toBe(true);
  expect([f.volumeIndex, f.jobId, f.blockIndex, f.rawLength]).toEqual([3, 7, 11, block.length]);
  expect(payloadIntact(f)).toBe(true);
  expect((f.codec === CODEC_ZSTD ? zstd.decompress(f.payload) : f.payload).equals(block)).toBe(true);
  return f;
}

describe('block frames', () => {
  it('sends a block of random bytes raw, without trying to compress it', () => {
    const block = randomBytes(65536);
    expect(worthCompressing(block)).toBe(false);
    expect(frameOf(block).codec).toBe(CODEC_RAW);
  });

  it('compresses log text to well under half its size', () => {
    const block = logText(65536);
    expect(worthCompressing(block)).toBe(true);
    const f = frameOf(block);
    expect(f.codec).toBe(CODEC_ZSTD);
    expect(f.payload.length).toBeLessThan(block.length / 2);
  });

  it('compresses a block that is random but for its last quarter of text', () => {
    const block = Buffer.concat([randomBytes(49152), logText(16384)]);
    expect(worthCompressing(block)).toBe(true);
    expect(frameOf(block).codec).toBe(CODEC_ZSTD);
  });

  it('compresses a block of few distinct byte values (a bitmap, a sparse table)', () => {
    const block = Buffer.from(randomBytes(65536).map((b) => b & 0x11));
    expect(frameOf(block).codec).toBe(CODEC_ZSTD);
  });

  it('frames a short last block of a volume', () => {
    frameOf(logText(1000));
    frameOf(randomBytes(1000));
  });
});
