// Appends the chunks of one job-volume to fresh pack files in the local staging area
// (encrypting each chunk with its pack's key in an encrypted store); a full pack gets its
// index section, is fsynced and handed on (uploaded while the backup goes on). Nothing it
// writes is visible until BlockStore commits the packs and chunks in one catalog transaction.
// With a seal pool (the hub's ingest), an encrypted store's chunks are sealed in worker
// threads in batches: each chunk's pack and offset are fixed when it is put (a sealed chunk's
// length is known in advance), and the sealed batches are appended in the order they were put.
import { randomBytes } from 'node:crypto';
import type { ChunkBackend, PackAppender } from './backend.js';
import { SEAL_OVERHEAD, seal, type StoreCipher } from './crypto.js';
import { encodePackIndex, type PackIndexEntry } from './pack-index.js';
import type { SealPool } from './seal-pool.js';

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
  /** seal an encrypted store's chunks in these workers (then only sealAsync() completes the writer) */
  sealPool?: SealPool | null;
}

/** plain bytes per batch sent to a seal worker (fewer, larger messages: each costs the event loop a post and a reply) */
const SEAL_BATCH_BYTES = 4 << 20;
/** sealed bytes not yet appended above which the writer asks its feeder to wait (drained()) */
const SEAL_BACKLOG_BYTES = 32 << 20;

/** Chunks put but not yet sent to a seal worker: all for one pack, their plain bytes copied into one buffer the worker gets. */
interface SealBatch {
  pack: PackAppender;
  key: Buffer;
  plain: Buffer;
  count: number;
  items: number[];
  hashes: Buffer[];
  bytes: number;
}

const ZERO_HASH = Buffer.alloc(32);

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
  /** pipelined sealing: where the current pack ends once everything put is appended */
  private currentEnd = 0;
  private batch: SealBatch | null = null;
  /** appends of sealed batches and pack seals, in the order they were put */
  private chain: Promise<void> = Promise.resolve();
  /** sealed bytes in flight (being sealed or waiting for their turn to be appended) */
  private backlog = 0;
  private drainWaiters: (() => void)[] = [];
  /** the first failure of the pipeline (a worker, or the disk) */
  private failure: Error | null = null;
  private discarded = false;

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

  private get pipelined(): boolean {
    return !!(this.o.sealPool && this.o.cipher);
  }

  put(hash: Buffer, codec: number, rawLength: number, plainPayload: Buffer): void {
    const key = hash.toString('latin1'); // a map key only: shorter and cheaper to make than hex
    if (this.pending.has(key)) return;
    if (this.pipelined) return this.putSealed(key, hash, codec, rawLength, plainPayload);
    if (this.current && this.current.size + plainPayload.length > (this.o.targetBytes ?? PACK_TARGET_BYTES)) this.sealCurrent(this.o.background === true);
    if (!this.current) {
      this.current = this.backend.createPack(`${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      this.current.append(PACK_MAGIC);
      this.packs.push(this.current);
    }
    const cipher = this.o.cipher;
    // an encrypted record names no hash: the hash is in the (encrypted) index section only
    const payload = cipher ? seal(cipher.packKey(this.current.name), plainPayload, hash) : plainPayload;
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    header.writeUInt32LE(RECORD_MAGIC, 0);
    (cipher ? ZERO_HASH : hash).copy(header, 4);
    header[36] = codec;
    header.writeUInt32LE(rawLength, 37);
    header.writeUInt32LE(payload.length, 41);
    this.current.append(header);
    const offset = this.current.append(payload);
    this.bytesWritten += RECORD_HEADER_BYTES + payload.length;
    const chunk = { hash: Buffer.from(hash), packName: this.current.name, offset, length: payload.length, rawLength, codec };
    this.pending.set(key, chunk);
    this.currentIndex.push(chunk);
  }

  /** put() through the seal pool: the chunk's place is fixed now, its bytes are appended when sealed */
  private putSealed(key: string, hash: Buffer, codec: number, rawLength: number, plain: Buffer): void {
    if (this.failure) throw this.failure;
    const length = plain.length + SEAL_OVERHEAD;
    if (this.current && this.currentEnd + RECORD_HEADER_BYTES + length > (this.o.targetBytes ?? PACK_TARGET_BYTES)) this.rollSealed();
    if (!this.current) {
      this.current = this.backend.createPack(`${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      this.current.append(PACK_MAGIC);
      this.currentEnd = this.current.size;
      this.packs.push(this.current);
    }
    const offset = this.currentEnd + RECORD_HEADER_BYTES;
    this.currentEnd = offset + length;
    this.bytesWritten += RECORD_HEADER_BYTES + length;
    const chunk = { hash: Buffer.from(hash), packName: this.current.name, offset, length, rawLength, codec };
    this.pending.set(key, chunk);
    this.currentIndex.push(chunk);
    if (this.batch && this.batch.bytes + plain.length > this.batch.plain.length) this.sendBatch();
    // its own ArrayBuffer, handed to the worker without another copy
    const b = (this.batch ??= { pack: this.current, key: this.o.cipher!.packKey(this.current.name), plain: this.o.sealPool!.batchBuffer(Math.max(SEAL_BATCH_BYTES, plain.length)), count: 0, items: [], hashes: [], bytes: 0 });
    b.bytes += plain.copy(b.plain, b.bytes);
    b.count++;
    b.items.push(plain.length, codec, rawLength);
    b.hashes.push(chunk.hash);
    if (b.bytes >= SEAL_BATCH_BYTES) this.sendBatch();
  }

  /** Hand the open batch to a worker; its records are appended after everything put before it. */
  private sendBatch(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    const size = b.bytes + b.count * (RECORD_HEADER_BYTES + SEAL_OVERHEAD);
    this.backlog += size;
    const sealed = this.o.sealPool!.seal({ key: new Uint8Array(b.key), plain: b.plain.buffer as ArrayBuffer, items: Int32Array.from(b.items), hashes: Buffer.concat(b.hashes) });
    sealed.catch(() => undefined); // reported through the chain
    this.then(async () => {
      const records = await sealed;
      if (!this.discarded) b.pack.append(records);
    }, size);
  }

  /** Run a step of the pipeline after the ones before it; `size` bytes leave the backlog when it is done. */
  private then(step: () => Promise<void> | void, size = 0): void {
    this.chain = this.chain
      .then(async () => {
        if (this.failure) return;
        try {
          await step();
        } catch (e) {
          this.failure ??= e as Error;
        }
      })
      .finally(() => {
        this.backlog -= size;
        if (this.backlog <= SEAL_BACKLOG_BYTES / 2 || this.failure) for (const w of this.drainWaiters.splice(0)) w();
      });
  }

  /** The current pack is full: it is sealed (index, fsync) once its chunks are appended. */
  private rollSealed(): void {
    this.sendBatch();
    const p = this.current;
    const index = this.currentIndex;
    this.current = null;
    this.currentIndex = [];
    if (!p) return;
    this.then(() => {
      if (!this.discarded) this.finishPack(p, index, this.o.background === true);
    });
  }

  /** Whether the feeder should wait (drained()) before putting more: seal workers are behind. */
  congested(): boolean {
    return this.backlog > SEAL_BACKLOG_BYTES && !this.failure;
  }

  /** Resolves when the sealing backlog is down to half its bound (or the pipeline failed). */
  drained(): Promise<void> {
    if (!this.congested()) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** write the last pack's index and fsync every pack; afterwards the chunks may be committed */
  seal(): { packs: { name: string; size: number }[]; chunks: PendingChunk[] } {
    if (this.pipelined && (this.batch || this.backlog > 0 || (this.current && this.current.size !== this.currentEnd))) {
      throw new Error('chunks are still being sealed: complete the writer with sealAsync()');
    }
    if (this.failure) throw this.failure;
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
    if (this.pipelined) {
      this.rollSealed();
      await this.chain;
      if (this.failure) throw this.failure;
    } else this.sealCurrent(true);
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
    this.discarded = true;
    this.batch = null;
    for (const w of this.drainWaiters.splice(0)) w();
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
