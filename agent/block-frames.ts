// Turning a block into its binary frame inside a worker thread: zstd's fast level -4 with one
// compression context per thread, written straight into the frame's memory, unless samples of
// its bytes show it does not compress (then its bytes go as they are).
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { CODEC_RAW, CODEC_ZSTD, FRAME_HEADER_BYTES, FRAME_MAGIC, FRAME_VERSION } from '../src/protocol/frames.js';

interface CCtx {
  setParameter(param: number, value: number): void;
  compress2(dest: Uint8Array, src: Uint8Array): number;
}
interface ZstdBinding {
  CCtx: new () => CCtx;
  CParameter: { compressionLevel: number };
}
// the native binding: compress into memory we own, with one context reused for every block
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;

/**
 * zstd's fast level -4 (acceleration 4): on log-like text ~25 % less CPU than level 1 for
 * 0.51 of its size instead of 0.35 — the repository after a full stays below borg's (lz4) on
 * both bench images (docs/performance.md). Frames decode the same at any level.
 */
const ZSTD_LEVEL = -4;

let cctx: CCtx | null = null;
function context(): CCtx {
  if (!cctx) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, ZSTD_LEVEL);
  }
  return cctx;
}

const SAMPLE_BYTES = 512;
/**
 * Pairs of equal bytes in a sample at and above which it is worth compressing: 2^-7.5 of its
 * pairs (a collision entropy of 7.5 bits per byte or less; Huffman coding alone then takes ~6 %
 * off). Random bytes give 2^-8 of the pairs: 511 ± 23 in 512 bytes, against 723 here.
 */
const MIN_PAIRS = Math.round((SAMPLE_BYTES * (SAMPLE_BYTES - 1)) / 2 / 2 ** 7.5);
const counts = new Uint32Array(256);

/** Pairs of equal bytes in data[at..at+n]. */
export function samplePairs(data: Uint8Array, at: number, n: number): number {
  counts.fill(0);
  let pairs = 0;
  for (let i = at; i < at + n; i++) pairs += counts[data[i]!]!++;
  return pairs;
}

/**
 * Whether a block is worth compressing: four 512-byte samples (at each quarter) are counted,
 * and a block where each of them spreads over the 256 byte values as evenly as random bytes do
 * (media, archives, encrypted files) is sent raw. zstd on such a block costs ~20 µs and saves
 * nothing; counting the samples costs ~3 (before: two 4 KiB samples compressed with zstd,
 * ~17 µs, and wasted on every block that does compress).
 */
export function worthCompressing(data: Buffer): boolean {
  if (data.length < 16 * SAMPLE_BYTES) return true;
  const step = data.length >> 2;
  for (let at = 0; at + SAMPLE_BYTES <= data.length; at += step) {
    if (samplePairs(data, at, SAMPLE_BYTES) >= MIN_PAIRS) return true;
  }
  return false;
}

/** Bytes a block's frame may take at most. */
export function frameBound(len: number): number {
  return FRAME_HEADER_BYTES + len;
}

export interface FrameHeader {
  volumeIndex: number;
  jobId: number;
  blockIndex: number;
  hash: Uint8Array;
}

/**
 * Write the frame of `data` at `out[at..]` (room for frameBound(data.length) bytes) and return
 * its length: compressed when that is smaller, else raw. Same layout as encodeBlockFrame.
 */
export function writeFrame(out: Buffer, at: number, h: FrameHeader, data: Buffer): number {
  const len = data.length;
  const bodyAt = at + FRAME_HEADER_BYTES;
  let n = -1;
  let crc = 0;
  if (worthCompressing(data)) {
    const body = out.subarray(bodyAt, bodyAt + len);
    try {
      n = context().compress2(body, data);
    } catch {
      n = -1; // does not fit in the raw size: not worth it
    }
    if (n >= 0 && n < len) crc = zlib.crc32(body.subarray(0, n));
  }
  const codec = n >= 0 && n < len ? CODEC_ZSTD : CODEC_RAW;
  if (codec === CODEC_RAW) {
    // the raw body is the block's own bytes: no view of the frame needed for them or their CRC
    data.copy(out, bodyAt);
    crc = zlib.crc32(data);
    n = len;
  }
  out.writeUInt32LE(FRAME_MAGIC, at);
  out[at + 4] = FRAME_VERSION;
  out[at + 5] = codec;
  out.writeUInt16LE(h.volumeIndex, at + 6);
  out.writeUInt32LE(h.jobId, at + 8);
  out.writeUInt32LE(h.blockIndex, at + 12);
  out.writeUInt32LE(len, at + 16);
  out.writeUInt32LE(crc, at + 20);
  out.set(h.hash.length === 32 ? h.hash : h.hash.subarray(0, 32), at + 24);
  return FRAME_HEADER_BYTES + n;
}
