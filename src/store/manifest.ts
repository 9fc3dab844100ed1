// Manifest entries: what a recovery point holds for a volume, block by block.
// Encoded as 37-byte records: u32 LE block index, u8 flags (1 = all-zero block), 32-byte sha256.
import { createHash } from 'node:crypto';
import { encodeBlockEntries, OFFER_ENTRY_BYTES } from '../protocol/agent.js';

export const ENTRY_BYTES = OFFER_ENTRY_BYTES;
export const FLAG_ZERO = 1;

export interface ManifestEntry {
  index: number;
  flags: number;
  hash: Buffer;
}

export function encodeManifest(entries: ManifestEntry[]): Buffer {
  // the same records as an agent's offer, in block order
  return encodeBlockEntries([...entries].sort((a, b) => a.index - b.index));
}

export function* manifestEntries(buf: Buffer): Generator<ManifestEntry> {
  for (let o = 0; o + ENTRY_BYTES <= buf.length; o += ENTRY_BYTES) {
    yield { index: buf.readUInt32LE(o), flags: buf[o + 4]!, hash: buf.subarray(o + 5, o + ENTRY_BYTES) };
  }
}

const zeroHashes = new Map<number, Buffer>();
/** sha256 of an all-zero block of this length (cached). */
export function zeroHash(length: number): Buffer {
  let h = zeroHashes.get(length);
  if (!h) {
    h = createHash('sha256').update(Buffer.alloc(length)).digest();
    zeroHashes.set(length, h);
  }
  return h;
}

export function blockLength(index: number, blockSize: number, size: number): number {
  return Math.min(blockSize, size - index * blockSize);
}
