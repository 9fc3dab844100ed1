// Binary frame carrying one block: a 56-byte header then the (optionally compressed) bytes.
//  0  4  magic "DRCB"
//  4  1  frame version (2)
//  5  1  codec: 0 raw, 1 zstd
//  6  2  volume index in the job's volume list (u16 LE); 0xffff: a repair read (job id = request id)
//  8  4  job id (u32 LE)
// 12  4  block index (u32 LE)
// 16  4  raw length (u32 LE)
// 20  4  CRC-32 of the payload as sent (the hub checks it instead of re-hashing the block)
// 24 32  sha256 of the raw bytes
import zlib from 'node:zlib';
import { ProtocolError } from './errors.js';
import { MAX_BLOCK_SIZE } from './agent.js';

export const FRAME_HEADER_BYTES = 56;
export const FRAME_MAGIC = 0x42435244; // "DRCB" read as u32 LE
export const FRAME_VERSION = 2;
export const CODEC_RAW = 0;
export const CODEC_ZSTD = 1;
/** volume index of the frames answering a `blocks.get` (repair reads): no job volume has it */
export const READ_FRAME_VOLUME_INDEX = 0xffff;

export interface BlockFrame {
  codec: number;
  volumeIndex: number;
  jobId: number;
  blockIndex: number;
  rawLength: number;
  hash: Buffer;
  /** CRC-32 of the payload, as the sender computed it */
  crc: number;
  payload: Buffer;
}

export function encodeBlockFrame(f: Omit<BlockFrame, 'payload' | 'crc'>, payload: Buffer): Buffer {
  // its own ArrayBuffer (never the shared pool): frames are transferred between threads
  const out = Buffer.allocUnsafeSlow(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = f.codec;
  out.writeUInt16LE(f.volumeIndex, 6);
  out.writeUInt32LE(f.jobId, 8);
  out.writeUInt32LE(f.blockIndex, 12);
  out.writeUInt32LE(f.rawLength, 16);
  out.writeUInt32LE(zlib.crc32(payload), 20);
  f.hash.copy(out, 24);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function decodeBlockFrame(buf: Buffer): BlockFrame {
  if (buf.length < FRAME_HEADER_BYTES) throw new ProtocolError('malformed', `block frame shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  if (buf.readUInt32LE(0) !== FRAME_MAGIC) throw new ProtocolError('malformed', 'block frame has a bad magic');
  if (buf[4] !== FRAME_VERSION) throw new ProtocolError('version', `block frame version ${buf[4]} not supported`);
  const codec = buf[5]!;
  if (codec !== CODEC_RAW && codec !== CODEC_ZSTD) throw new ProtocolError('malformed', `block frame codec ${codec} unknown`);
  const rawLength = buf.readUInt32LE(16);
  if (rawLength === 0 || rawLength > MAX_BLOCK_SIZE) throw new ProtocolError('malformed', `block frame raw length ${rawLength} out of range`);
  const payload = buf.subarray(FRAME_HEADER_BYTES);
  if (codec === CODEC_RAW && payload.length !== rawLength) throw new ProtocolError('malformed', 'raw block frame length mismatch');
  return {
    codec,
    volumeIndex: buf.readUInt16LE(6),
    jobId: buf.readUInt32LE(8),
    blockIndex: buf.readUInt32LE(12),
    rawLength,
    hash: buf.subarray(24, 56),
    crc: buf.readUInt32LE(20),
    payload,
  };
}

/** Whether the payload is the one the sender framed (CRC-32 in the header). */
export function payloadIntact(f: BlockFrame): boolean {
  return zlib.crc32(f.payload) === f.crc;
}
