// Appends the chunks of one job-volume to fresh pack files in the local staging area
// (encrypting each chunk with its pack's key in an encrypted store); a full pack gets its
// index section, is fsynced and handed on (uploaded while the backup goes on). Nothing it
// writes is visible until BlockStore commits the packs and chunks in one catalog transaction.
// Sealing runs on the caller's thread: AES-256-GCM of a 64 KiB chunk takes ~65 µs, less than
// handing it to a worker and back cost (measured in docs/performance.md).
import { randomBytes } from 'node:crypto';
import type { ChunkBackend, PackAppender } from './backend.js';
import { NONCE_BYTES, SEAL_OVERHEAD, sealParts, type StoreCipher } from './crypto.js';
import { encodePackIndex, type PackIndexEntry } from './pack-index.js';

export const PACK_MAGIC = Buffer.from('DRCPACK1');
export const RECORD_MAGIC = 0x4b435244; // "DRCK" as u32 LE
export const RECORD_HEADER_BYTES = 45;
export const PACK_TARGET_BYTES = 64 * 1024 * 1024;

export interface PendingChunk {
  hash: Buffer;
  packName: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}

export interface WriterOptions {
  cipher?: StoreCipher | null;
  /** roll to a new pack above this size (default PACK_TARGET_BYTES) */
  targetBytes?: number;
  /** a pack is complete (index written, fsynced, closed): it may be uploaded now */
  onPackSealed?: (pack: { name: string; size: number }) => void;
  /** called once the writer is sealed or discarded (the store stops pinning its chunks) */
  onDone?: () => void;
  /** fsync full packs in the thread pool while writing goes on; sealAsync() waits for them */
  background?: boolean;
}

const ZERO_HASH = Buffer.alloc(32);

/** A record's header into `h` (its first RECORD_HEADER_BYTES): magic, hash, codec, raw and payload length. */
function recordHeader(h: Buffer, hash: Buffer, codec: number, rawLength: number, length: number): Buffer {
  h.writeUInt32LE(RECORD_MAGIC, 0);
  hash.copy(h, 4);
  h[36] = codec;
  h.writeUInt32LE(rawLength, 37);
  h.writeUInt32LE(length, 41);
  return h;
}

export class ChunkWriter {
  private current: PackAppender | null = null;
  private currentIndex: PackIndexEntry[] = [];
  private readonly packs: PackAppender[] = [];
  private readonly sealedPacks = new Set<PackAppender>();
  /** packs being fsynced in the background, until they are durable and closed */
  private readonly syncing = new Map<PackAppender, Promise<void>>();
  private readonly pending = new Map<string, PendingChunk>();
  bytesWritten = 0;
  private readonly onDone: () => void;

  constructor(
    private readonly backend: ChunkBackend,
    private readonly o: WriterOptions = {},
  ) {
    this.onDone = o.onDone ?? (() => undefined);
  }

  /** names of the packs written so far */
  packNames(): string[] {
    return this.packs.map((p) => p.name);
  }

  private sealCurrent(background = false): void {
    const p = this.current;
    if (!p || this.sealedPacks.has(p)) return;
    const index = this.currentIndex;
    this.current = null;
    this.currentIndex = [];
    this.finishPack(p, index, background);
  }

  /** Append a pack's index section, then fsync it (in the thread pool when `background`) and hand it on. */
  private finishPack(p: PackAppender, index: PackIndexEntry[], background: boolean): void {
    p.append(encodePackIndex(index, this.o.cipher ? this.o.cipher.packKey(p.name) : null));
    this.sealedPacks.add(p);
    if (background && p.syncAsync) {
      const done = p.syncAsync().then(() => {
        if (!this.syncing.has(p)) return; // seal() made it durable already, or the writer was discarded
        this.syncing.delete(p);
        p.close();
        this.o.onPackSealed?.({ name: p.name, size: p.size });
      });
      done.catch(() => undefined); // reported by sealAsync (or made good by seal's own fsync)
      this.syncing.set(p, done);
      return;
    }
    p.sync();
    p.close();
    this.o.onPackSealed?.({ name: p.name, size: p.size });
  }

  has(hash: Buffer): boolean {
    return this.pending.has(hash.toString('latin1'));
  }

  put(hash: Buffer, codec: number, rawLength: number, plainPayload: Buffer): void {
    const key = hash.toString('latin1'); // a map key only: shorter and cheaper to make than hex
    if (this.pending.has(key)) return;
    if (this.current && this.current.size + plainPayload.length > (this.o.targetBytes ?? PACK_TARGET_BYTES)) this.sealCurrent(this.o.background === true);
    if (!this.current) {
      this.current = this.backend.createPack(`${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      this.current.append(PACK_MAGIC);
      this.packs.push(this.current);
    }
    const cipher = this.o.cipher;
    const at = this.current.size;
    let length = plainPayload.length;
    if (cipher) {
      // header and nonce, ciphertext, tag: appended as they come (a long ciphertext is written from its own buffer)
      const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES + NONCE_BYTES);
      const [body, tag] = sealParts(cipher.packKey(this.current.name), plainPayload, hash, head.subarray(RECORD_HEADER_BYTES));
      length += SEAL_OVERHEAD;
      // an encrypted record names no hash: the hash is in the (encrypted) index section only
      recordHeader(head, ZERO_HASH, codec, rawLength, length);
      this.current.append(head);
      this.current.append(body);
      this.current.append(tag);
    } else {
      this.current.append(recordHeader(Buffer.allocUnsafe(RECORD_HEADER_BYTES), hash, codec, rawLength, length));
      this.current.append(plainPayload);
    }
    const offset = at + RECORD_HEADER_BYTES;
    this.bytesWritten += RECORD_HEADER_BYTES + length;
    const chunk = { hash: Buffer.from(hash), packName: this.current.name, offset, length, rawLength, codec };
    this.pending.set(key, chunk);
    this.currentIndex.push(chunk);
  }

  /** write the last pack's index and fsync every pack; afterwards the chunks may be committed */
  seal(): { packs: { name: string; size: number }[]; chunks: PendingChunk[] } {
    this.onDone();
    this.sealCurrent();
    // packs still being fsynced in the background: made durable here, on this thread
    for (const p of [...this.syncing.keys()]) {
      p.sync();
      this.syncing.delete(p);
      p.close();
      this.o.onPackSealed?.({ name: p.name, size: p.size });
    }
    return this.sealed();
  }

  /** seal() with every fsync in the thread pool: the event loop keeps serving meanwhile */
  async sealAsync(): Promise<{ packs: { name: string; size: number }[]; chunks: PendingChunk[] }> {
    this.onDone();
    this.sealCurrent(true);
    await Promise.all(this.syncing.values());
    return this.sealed();
  }

  /** what seal() returned */
  sealed(): { packs: { name: string; size: number }[]; chunks: PendingChunk[] } {
    return { packs: this.packs.map((p) => ({ name: p.name, size: p.size })), chunks: [...this.pending.values()] };
  }

  /** drop everything written (job failed or cancelled) */
  discard(): void {
    this.onDone();
    for (const p of this.packs) {
      try {
        p.close();
      } catch {
        /* bytes of a dropped pack need not reach the disk (it may be full) */
      }
      this.backend.remove(p.name);
    }
    this.packs.length = 0;
    this.syncing.clear();
    this.pending.clear();
    this.current = null;
  }
}
