// Appends the chunks of one job-volume to fresh pack files. Nothing it writes is visible
// until BlockStore.commitPoint registers the packs and chunks in one catalog transaction.
import { randomBytes } from 'node:crypto';
import type { ChunkBackend, PackAppender } from './backend.js';

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

export class ChunkWriter {
  private current: PackAppender | null = null;
  private readonly packs: PackAppender[] = [];
  private readonly pending = new Map<string, PendingChunk>();
  bytesWritten = 0;

  constructor(
    private readonly backend: ChunkBackend,
    /** called once the writer is sealed or discarded (the store stops pinning its chunks) */
    private readonly onDone: () => void = () => undefined,
  ) {}

  has(hash: Buffer): boolean {
    return this.pending.has(hash.toString('hex'));
  }

  put(hash: Buffer, codec: number, rawLength: number, payload: Buffer): void {
    const key = hash.toString('hex');
    if (this.pending.has(key)) return;
    if (!this.current || this.current.size + payload.length > PACK_TARGET_BYTES) {
      this.current = this.backend.createPack(`${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      this.current.append(PACK_MAGIC);
      this.packs.push(this.current);
    }
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    header.writeUInt32LE(RECORD_MAGIC, 0);
    hash.copy(header, 4);
    header[36] = codec;
    header.writeUInt32LE(rawLength, 37);
    header.writeUInt32LE(payload.length, 41);
    this.current.append(header);
    const offset = this.current.append(payload);
    this.bytesWritten += RECORD_HEADER_BYTES + payload.length;
    this.pending.set(key, { hash: Buffer.from(hash), packName: this.current.name, offset, length: payload.length, rawLength, codec });
  }

  /** fsync every pack; afterwards the chunks may be committed */
  seal(): { packs: { name: string; size: number }[]; chunks: PendingChunk[] } {
    this.onDone();
    for (const p of this.packs) {
      p.sync();
      p.close();
    }
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
    this.pending.clear();
    this.current = null;
  }
}
