// Worker thread that seals chunks for an encrypted store: each chunk of a batch becomes a pack
// record (header, then nonce || AES-256-GCM ciphertext || tag with the chunk's hash as AAD),
// written one after the other into one buffer handed back, so the hub's event loop only
// appends it to the pack. Same record layout as chunk-writer.ts and crypto.ts.
import { createCipheriv, randomFillSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export const SEAL_NONCE_BYTES = 12;
export const SEAL_TAG_BYTES = 16;
const RECORD_MAGIC = 0x4b435244; // "DRCK", as chunk-writer.ts
const RECORD_HEADER_BYTES = 45;

/** One batch: the plain payloads one after the other, and per chunk its codec and lengths. */
export interface SealJob {
  id: number;
  key: Uint8Array;
  plain: ArrayBuffer;
  /** per chunk: [plain length, codec, raw length] */
  items: Int32Array;
  /** the chunks' sha256 one after the other (the AAD) */
  hashes: Uint8Array;
}

/** the records are the first `length` bytes of `records`; `plain` goes back to the hub for its next batch */
export type SealReply = { id: number; records: ArrayBuffer; length: number; plain: ArrayBuffer } | { id: number; error: string };

/** The records of a batch: header (a zero hash: an encrypted record names none) and sealed payload each. */
export function sealRecords(j: Omit<SealJob, 'id'>): Buffer {
  const n = j.items.length / 3;
  let total = 0;
  for (let k = 0; k < n; k++) total += RECORD_HEADER_BYTES + j.items[k * 3]! + SEAL_NONCE_BYTES + SEAL_TAG_BYTES;
  const out = Buffer.allocUnsafeSlow(total); // its own ArrayBuffer: transferred back
  const plain = Buffer.from(j.plain);
  // the batch's nonces from one call to the random generator (one call per chunk cost as much as a tenth of the AES)
  const nonces = randomFillSync(Buffer.allocUnsafe(n * SEAL_NONCE_BYTES));
  let at = 0;
  let from = 0;
  for (let k = 0; k < n; k++) {
    const len = j.items[k * 3]!;
    out.writeUInt32LE(RECORD_MAGIC, at);
    out.fill(0, at + 4, at + 36);
    out[at + 36] = j.items[k * 3 + 1]!;
    out.writeUInt32LE(j.items[k * 3 + 2]!, at + 37);
    out.writeUInt32LE(len + SEAL_NONCE_BYTES + SEAL_TAG_BYTES, at + 41);
    at += RECORD_HEADER_BYTES;
    const nonce = out.subarray(at, at + SEAL_NONCE_BYTES);
    nonces.copy(nonce, 0, k * SEAL_NONCE_BYTES, (k + 1) * SEAL_NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', j.key, nonce);
    c.setAAD(j.hashes.subarray(k * 32, k * 32 + 32));
    at += SEAL_NONCE_BYTES;
    at += c.update(plain.subarray(from, from + len)).copy(out, at);
    c.final();
    at += c.getAuthTag().copy(out, at);
    from += len;
  }
  return out;
}

parentPort?.on('message', (j: SealJob) => {
  let reply: SealReply;
  try {
    const records = sealRecords(j);
    reply = { id: j.id, records: records.buffer as ArrayBuffer, length: records.length, plain: j.plain };
    parentPort!.postMessage(reply, [reply.records, reply.plain]);
  } catch (e) {
    reply = { id: j.id, error: (e as Error).message };
    parentPort!.postMessage(reply);
  }
});
