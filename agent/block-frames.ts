// Turning a block into its binary frame inside a worker thread: zstd level 1 with one
// compression context per thread, written straight into the frame's memory, unless two
// samples show the block does not compress (then its bytes go as they are).
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

let cctx: CCtx | null = null;
function context(): CCtx {
  if (!cctx) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, 1);
  }
  return cctx;
}

const PROBE_BYTES = 4096;
let probeOut = Buffer.allocUnsafe(0);

/**
 * Whether a block is worth compressing: two 4 KiB samples (start and middle) are compressed
 * first, and a block where neither shrinks by 5% (random data: media, archives, encrypted
 * files) is sent raw. Compressing such a block whole costs as much as compressing text and
 * saves nothing; the samples cost an eighth of that.
 */
export function worthCompressing(data: Buffer): boolean {
  if (data.length < 4 * PROBE_BYTES) return true;
  if (probeOut.length < PROBE_BYTES * 2) probeOut = Buffer.allocUnsafe(PROBE_BYTES * 2);
  const c = context();
  for (const at of [0, data.length >> 1]) {
    if (c.compress2(probeOut, data.subarray(at, at + PROBE_BYTES)) < PROBE_BYTES * 0.95) return true;
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
  const body = out.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len);
  let n = -1;
  if (worthCompressing(data)) {
    try {
      n = context().compress2(body, data);
    } catch {
      n = -1; // does not fit in the raw size: not worth it
    }
  }
  const codec = n >= 0 && n < len ? CODEC_ZSTD : CODEC_RAW;
  if (codec === CODEC_RAW) {
    data.copy(body);
    n = len;
  }
  out.writeUInt32LE(FRAME_MAGIC, at);
  out[at + 4] = FRAME_VERSION;
  out[at + 5] = codec;
  out.writeUInt16LE(h.volumeIndex, at + 6);
  out.writeUInt32LE(h.jobId, at + 8);
  out.writeUInt32LE(h.blockIndex, at + 12);
  out.writeUInt32LE(len, at + 16);
  out.writeUInt32LE(zlib.crc32(body.subarray(0, n)), at + 20);
  out.set(h.hash.subarray(0, 32), at + 24);
  return FRAME_HEADER_BYTES + n;
}
