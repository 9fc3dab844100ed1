// The index section at the end of a pack: where each chunk is, so that a chunk index can be
// rebuilt from the packs alone (store recover). Encrypted with the pack key in an
// encrypted store, so a pack reveals no block hashes. Layout in docs/store-format.md.
import { StoreError } from './errors.js';
import { open, seal } from './crypto.js';
import { PACK_MAGIC, RECORD_HEADER_BYTES, RECORD_MAGIC } from './chunk-writer.js';

export const INDEX_MAGIC = Buffer.from('DRCPIDX1');
export const INDEX_ENTRY_BYTES = 49;
export const TRAILER_BYTES = 16;
const FLAG_ENCRYPTED = 1;

export interface PackIndexEntry {
  hash: Buffer;
  codec: number;
  rawLength: number;
  /** stored bytes (after the record header) */
  offset: number;
  length: number;
}

/** The index section and trailer to append to a pack. */
export function encodePackIndex(entries: readonly PackIndexEntry[], key: Buffer | null): Buffer {
  const plain = Buffer.allocUnsafe(entries.length * INDEX_ENTRY_BYTES);
  entries.forEach((e, i) => {
    const o = i * INDEX_ENTRY_BYTES;
    e.hash.copy(plain, o);
    plain[o + 32] = e.codec;
    plain.writeUInt32LE(e.rawLength, o + 33);
    plain.writeUInt32LE(e.length, o + 37);
    plain.writeBigUInt64LE(BigInt(e.offset), o + 41);
  });
  const section = key ? seal(key, plain, INDEX_MAGIC) : plain;
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(section.length, 0);
  trailer.writeUInt32LE(key ? FLAG_ENCRYPTED : 0, 4);
  INDEX_MAGIC.copy(trailer, 8);
  return Buffer.concat([section, trailer]);
}

/** Where the index section is, from a pack's last 16 bytes; null for a pack without one. */
export function readTrailer(trailer: Buffer, packSize: number): { offset: number; length: number; encrypted: boolean } | null {
  if (trailer.length !== TRAILER_BYTES || !trailer.subarray(8).equals(INDEX_MAGIC)) return null;
  const length = trailer.readUInt32LE(0);
  const offset = packSize - TRAILER_BYTES - length;
  if (offset < PACK_MAGIC.length) throw new StoreError('pack index section is larger than the pack');
  return { offset, length, encrypted: (trailer.readUInt32LE(4) & FLAG_ENCRYPTED) !== 0 };
}

export function decodePackIndex(section: Buffer, key: Buffer | null, packName: string): PackIndexEntry[] {
  let plain = section;
  if (key) {
    try {
      plain = open(key, section, INDEX_MAGIC);
    } catch {
      throw new StoreError(`pack ${packName}: index section does not decrypt (altered, or another repository's key)`);
    }
  }
  if (plain.length % INDEX_ENTRY_BYTES !== 0) throw new StoreError(`pack ${packName}: index section has a partial entry`);
  const out: PackIndexEntry[] = [];
  for (let o = 0; o < plain.length; o += INDEX_ENTRY_BYTES) {
    out.push({
      hash: Buffer.from(plain.subarray(o, o + 32)),
      codec: plain[o + 32]!,
      rawLength: plain.readUInt32LE(o + 33),
      length: plain.readUInt32LE(o + 37),
      offset: Number(plain.readBigUInt64LE(o + 41)),
    });
  }
  return out;
}

/** The index of a pack written before index sections existed: walk its records. */
export function scanPackRecords(pack: Buffer, packName: string): PackIndexEntry[] {
  if (!pack.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) throw new StoreError(`pack ${packName} does not start with ${PACK_MAGIC.toString()}`);
  const out: PackIndexEntry[] = [];
  let o = PACK_MAGIC.length;
  while (o + RECORD_HEADER_BYTES <= pack.length && pack.readUInt32LE(o) === RECORD_MAGIC) {
    const length = pack.readUInt32LE(o + 41);
    out.push({ hash: Buffer.from(pack.subarray(o + 4, o + 36)), codec: pack[o + 36]!, rawLength: pack.readUInt32LE(o + 37), offset: o + RECORD_HEADER_BYTES, length });
    o += RECORD_HEADER_BYTES + length;
  }
  return out;
}
