// Encryption at rest: a random 256-bit master key, wrapped in key files by a key derived from
// a passphrase with scrypt; a key per pack and per object derived from the master key with
// HKDF-SHA256; AES-256-GCM per chunk (nonce || ciphertext || tag, the chunk's hash as AAD).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomFillSync, scryptSync } from 'node:crypto';
import { StoreError } from './errors.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** bytes a sealed chunk or object adds to its plaintext */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export interface KeyFile {
  version: 1;
  id: string;
  created: string;
  /** who added it (free text, e.g. host and user) */
  label: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  /** base64 of nonce || AES-256-GCM(master key) || tag */
  wrapped: string;
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1 };

function kek(passphrase: string, kdf: KeyFile['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
}

/** Seal bytes with a key: nonce || ciphertext || tag. */
export function seal(key: Buffer, plain: Buffer, aad?: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) c.setAAD(aad);
  const body = c.update(plain);
  c.final();
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

/** nonces drawn from the random generator 256 at a time (one call per chunk cost as much as a tenth of the AES) */
const noncePool = Buffer.allocUnsafeSlow(256 * NONCE_BYTES);
let nonceAt = noncePool.length;

/**
 * seal() in pieces, for a pack writer that appends them without joining them: the nonce is
 * written to `nonce` (NONCE_BYTES long, the caller's buffer), ciphertext and tag are returned.
 */
export function sealParts(key: Buffer, plain: Buffer, aad: Buffer, nonce: Buffer): [body: Buffer, tag: Buffer] {
  if (nonceAt === noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  noncePool.copy(nonce, 0, nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const body = c.update(plain);
  c.final();
  return [body, c.getAuthTag()];
}

/** Open sealed bytes; throws when they were altered or the key is wrong. */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer {
  if (sealed.length < SEAL_OVERHEAD) throw new Error('sealed data is too short');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  if (aad) d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const out = d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
  d.final();
  return out;
}

export function newMasterKey(): Buffer {
  return randomBytes(32);
}

export function wrapMasterKey(master: Buffer, passphrase: string, label: string, now = new Date()): KeyFile {
  const kdf = { name: 'scrypt' as const, ...SCRYPT, salt: randomBytes(16).toString('base64') };
  return { version: 1, id: randomBytes(8).toString('hex'), created: now.toISOString(), label, kdf, wrapped: seal(kek(passphrase, kdf), master).toString('base64') };
}

/** The master key, or null when the passphrase does not open this key file. */
export function unwrapMasterKey(file: KeyFile, passphrase: string): Buffer | null {
  try {
    return open(kek(passphrase, file.kdf), Buffer.from(file.wrapped, 'base64'));
  } catch {
    return null;
  }
}

export function parseKeyFile(text: string, where: string): KeyFile {
  try {
    const k = JSON.parse(text) as KeyFile;
    if (k.version !== 1 || k.kdf?.name !== 'scrypt' || typeof k.wrapped !== 'string') throw new Error('unknown format');
    return k;
  } catch (e) {
    throw new StoreError(`key file ${where} is not readable: ${(e as Error).message}`);
  }
}

/** Keys derived from the master key; pack keys are cached (a restore asks once per chunk). */
export class StoreCipher {
  private readonly packKeys = new Map<string, Buffer>();
  constructor(private readonly master: Buffer) {}

  packKey(packName: string): Buffer {
    let k = this.packKeys.get(packName);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', this.master, Buffer.from(packName), 'drc pack key v1', 32));
      if (this.packKeys.size > 100_000) this.packKeys.clear();
      this.packKeys.set(packName, k);
    }
    return k;
  }

  objectKey(objectName: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master, Buffer.from(objectName), 'drc object key v1', 32));
  }

  sealObject(objectName: string, plain: Buffer): Buffer {
    return seal(this.objectKey(objectName), plain);
  }

  openObject(objectName: string, sealed: Buffer): Buffer {
    try {
      return open(this.objectKey(objectName), sealed);
    } catch {
      throw new StoreError(`object ${objectName} does not decrypt (altered, or written with another key)`);
    }
  }
}
