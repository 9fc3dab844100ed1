// Point objects: each recovery point stored beside its packs, self-contained (host, volume,
// the point's fields and its whole image as manifest entries), so a catalog can be rebuilt
// from the store or a copy alone. zstd-compressed; sealed with the object key when encrypted.
import { compress, decompress } from 'zstd-napi';
import type { StoreCipher } from './crypto.js';
import { StoreError } from './errors.js';

export interface PointObject {
  version: 1;
  host: string;
  volume: string;
  volumePath: string;
  time: string;
  /** the type it had when written; recovery rebuilds chains from the images */
  type: 'full' | 'incremental';
  size: number;
  blockSize: number;
  blockCount: number;
  merkleRoot: string;
}

export function encodePointObject(p: PointObject, image: Buffer, objectName: string, cipher: StoreCipher | null): Buffer {
  const head = Buffer.from(JSON.stringify(p));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length, 0);
  const plain = compress(Buffer.concat([len, head, image]), { compressionLevel: 3 });
  return cipher ? cipher.sealObject(objectName, plain) : plain;
}

export function decodePointObject(bytes: Buffer, objectName: string, cipher: StoreCipher | null): { point: PointObject; image: Buffer } {
  const plain = cipher ? cipher.openObject(objectName, bytes) : bytes;
  let raw: Buffer;
  try {
    raw = decompress(plain);
  } catch {
    throw new StoreError(`point object ${objectName} is damaged (does not decompress)`);
  }
  const n = raw.readUInt32LE(0);
  const point = JSON.parse(raw.subarray(4, 4 + n).toString()) as PointObject;
  if (point.version !== 1) throw new StoreError(`point object ${objectName} has unknown version ${String(point.version)}`);
  return { point, image: raw.subarray(4 + n) };
}
