// The content-addressed block store: packs staged locally through a ChunkBackend and kept in
// a repository's PackStore (local directory or S3), chunk index and manifests in the catalog,
// base + delta recovery points with a Merkle root each.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { decompress } from 'zstd-napi';
import type { Catalog, PointRow } from '../catalog/catalog.js';
import { PointObjects } from '../catalog/copy-store.js';
import { merkleRootPacked } from '../protocol/merkle.js';
import type { ChunkBackend } from './backend.js';
import { ChunkWriter, PACK_TARGET_BYTES, type PendingChunk } from './chunk-writer.js';
import { open as openSealed } from './crypto.js';
import { DamageLedger } from './damage.js';
import { StoreError } from './errors.js';
import { PackCache } from './pack-cache.js';
import { direct, fetchAhead, type ExtentSource } from './pack-fetch-ahead.js';
import { OBJECT } from './pack-store.js';
import type { PlannedExtent } from './read-plan.js';
import { encodePointObject } from './point-object.js';
import type { Repository } from './repository.js';
import { ENTRY_BYTES, FLAG_ZERO, blockLength, encodeManifest, manifestEntries, zeroHash, type ManifestEntry } from './manifest.js';

export const CODEC_RAW = 0;
export const CODEC_ZSTD = 1;

/** The full image of a volume at one point: a hash and flags per block. */
export interface BlockMap {
  point: PointRow;
  hashes: Buffer;
  flags: Uint8Array;
}

/** A point to commit: its catalog row as far as the caller knows it, and its manifest. */
export type NewPoint = Pick<PointRow, 'volumeId' | 'jobId' | 'time' | 'type' | 'parentId' | 'size' | 'blockSize' | 'blockCount' | 'merkleRoot'> & {
  entries: ManifestEntry[];
  /** taken at the DR site (an agent on the recovered image); default primary */
  site?: PointRow['site'];
};

/** A point checked and its chunks fsynced in staging, ready to be stored and committed. */
interface PreparedPoint {
  np: NewPoint;
  hashes: Buffer;
  sealed: { packs: { name: string; size: number }[]; chunks: PendingChunk[] };
  writer: ChunkWriter;
}

export class BlockStore {
  private readonly lastImage = new Map<number, { pointId: number; hashes: Buffer }>();
  /** chunks that failed their hash or went missing, and the points relying on them */
  readonly damage: DamageLedger;
  /** the repository packs and point objects are kept in; null = the staging directory alone */
  repo: Repository | null = null;
  cache: PackCache | null = null;
  private readonly uploads = new Map<ChunkWriter, Uploads>();
  private readonly pointObjects: PointObjects;

  constructor(
    readonly catalog: Catalog,
    /** the local staging area packs are written to (for a local store: its packs directory) */
    readonly backend: ChunkBackend,
  ) {
    this.damage = new DamageLedger(catalog, (id) => this.blockMap(id));
    this.pointObjects = new PointObjects(catalog.db);
  }

  /** Keep packs and point objects in `repo` from now on (the hub does this at start). */
  attach(repo: Repository, cacheDir: string, cacheBytes: number): void {
    this.repo = repo;
    this.cache = new PackCache(repo.store, cacheDir, cacheBytes);
  }

  private get remote(): boolean {
    return this.repo !== null && !this.repo.store.local;
  }

  /** The key of a pack's chunks, or null in a plain store. */
  packKey(packName: string): Buffer | null {
    return this.repo?.cipher?.packKey(packName) ?? null;
  }

  /** The local file of a pack (downloaded into the cache for a remote store) until releasePack. */
  async acquirePack(packName: string, signal?: AbortSignal): Promise<string> {
    if (!this.cache) return this.backend.pathOf(packName);
    return this.cache.acquire(packName, signal);
  }

  releasePack(packName: string): void {
    this.cache?.release(packName);
  }

  /** A read plan's extents in order; from a remote store with the next packs downloading ahead. */
  extentsAhead(next: () => Promise<PlannedExtent | null>, signal?: AbortSignal): ExtentSource {
    return this.cache && this.remote ? fetchAhead(next, this.cache, { signal }) : direct(next);
  }

  /** Put a sealed staging pack into the store (a no-op when the store is the staging directory). */
  private async storePack(name: string): Promise<void> {
    if (!this.repo || !this.remote) return;
    const file = this.backend.pathOf(name);
    await this.repo.store.putFile(OBJECT.pack(name), file);
    this.cache!.adopt(name, file);
  }

  /** Delete a deleted point's object from the store, in the background (best effort). */
  dropPointObject(objectName: string): void {
    void this.repo?.store.delete(OBJECT.point(objectName)).catch(() => undefined);
  }

  /** Remove a pack from the store, the cache and staging (gc, after its rows are gone). */
  async removePack(name: string): Promise<void> {
    if (this.repo && this.remote) await this.repo.store.delete(OBJECT.pack(name));
    this.cache?.drop(name);
    this.backend.remove(name);
  }

  /** Remove pack files the catalog does not know (left by a crash before commit). */
  recover(): string[] {
    const known = this.catalog.packNames();
    const orphans = this.backend.list().filter((p) => !known.has(p));
    for (const p of orphans) this.backend.remove(p);
    return orphans;
  }

  /** existing chunks each open writer's point will rely on; gc keeps them (see reuseChunk) */
  private readonly reusedBy = new Map<ChunkWriter, Set<string>>();

  /** A writer for a backup's chunks (complete it with sealAsync: its packs are fsynced in the thread pool). */
  openWriter(): ChunkWriter {
    const w: ChunkWriter = this.newWriter(() => this.reusedBy.delete(w), true);
    this.reusedBy.set(w, new Set());
    return w;
  }

  /** A writer whose full packs go to the store while it keeps writing (gc uses one too). */
  newWriter(onDone?: () => void, background = false): ChunkWriter {
    const uploads = new Uploads();
    const w: ChunkWriter = new ChunkWriter(this.backend, {
      cipher: this.repo?.cipher ?? null,
      targetBytes: this.repo?.store.packTargetBytes ?? PACK_TARGET_BYTES,
      background,
      onPackSealed: (p) => uploads.add(this.storePack(p.name)),
      onDone: () => {
        onDone?.();
      },
    });
    this.uploads.set(w, uploads);
    return w;
  }

  /** Wait until every sealed pack of the writer is stored; throws the first failure. */
  async storeWriter(w: ChunkWriter): Promise<void> {
    const ups = this.uploads.get(w)?.all ?? [];
    try {
      await Promise.all(ups);
    } finally {
      this.uploads.delete(w);
    }
  }

  /**
   * Null while the writer keeps up; else a promise to wait for before feeding it more: too
   * many of its sealed packs wait for their upload (staging would fill up). The hub stops reading the agent's frames meanwhile (TCP backpressure).
   */
  backpressure(w: ChunkWriter): Promise<void> | null {
    const up = this.uploads.get(w);
    if (up && up.pending > UPLOADS_AHEAD) return up.drained();
    return null;
  }

  /** Drop a writer's staged and already stored packs (the job failed). */
  discardWriter(w: ChunkWriter): void {
    const names = w.packNames();
    w.discard();
    const ups = this.uploads.get(w)?.all ?? [];
    this.uploads.delete(w);
    if (!this.remote) return;
    void Promise.allSettled(ups).then(() => Promise.allSettled(names.map((n) => this.removePack(n))));
  }

  /**
   * Whether the index has a chunk. When it does, the writer's point will reference it
   * without sending it again, so it stays pinned (gc keeps it) until the writer is
   * sealed or discarded.
   */
  reuseChunk(writer: ChunkWriter, hash: Buffer): boolean {
    // a damaged chunk is asked for again: the backup that sends it heals it
    if (!this.catalog.hasChunk(hash) || this.damage.has(hash)) return false;
    this.reusedBy.get(writer)?.add(hash.toString('hex'));
    return true;
  }

  /** reuseChunk for a batch of hashes with one index lookup; returns the hex hashes reused. */
  reuseChunks(writer: ChunkWriter, hashes: Buffer[]): Set<string> {
    const had = this.catalog.chunksPresent(hashes);
    const pins = this.reusedBy.get(writer);
    for (const h of [...had]) {
      // a damaged chunk is asked for again: the backup that sends it heals it
      if (this.damage.hasHex(h)) had.delete(h);
      else pins?.add(h);
    }
    return had;
  }

  /** points being read by restores (id → how many restores) */
  private readonly reading = new Map<number, number>();

  /** Mark a point as being read until the returned function is called (see restoreVolume). */
  beginRead(pointId: number): () => void {
    this.reading.set(pointId, (this.reading.get(pointId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.reading.get(pointId) ?? 1) - 1;
      if (n > 0) this.reading.set(pointId, n);
      else this.reading.delete(pointId);
    };
  }

  /** Points restores are reading now: retention keeps them, gc keeps the old pack files. */
  pointsBeingRead(): Set<number> {
    return new Set(this.reading.keys());
  }

  /** Hex hashes of the chunks open writers rely on. */
  pinnedChunks(): Set<string> {
    const out = new Set<string>();
    for (const s of this.reusedBy.values()) for (const h of s) out.add(h);
    return out;
  }

  hasChunk(hash: Buffer): boolean {
    return this.catalog.hasChunk(hash);
  }

  /** Build the full block map of a point by replaying its chain from the nearest full. */
  blockMap(pointId: number): BlockMap {
    const chain: PointRow[] = [];
    let p = this.catalog.point(pointId);
    if (!p) throw new StoreError(`recovery point ${pointId} does not exist`);
    const target = p;
    while (p) {
      chain.unshift(p);
      if (p.type === 'full' || p.parentId === null) break;
      const parent: PointRow | undefined = this.catalog.point(p.parentId);
      if (!parent) throw new StoreError(`recovery point ${p.id}: parent ${p.parentId} is missing`);
      p = parent;
    }
    const n = target.blockCount;
    const hashes = Buffer.alloc(n * 32);
    const flags = new Uint8Array(n);
    const present = new Uint8Array(n);
    for (const cp of chain) {
      for (const e of manifestEntries(this.catalog.manifest(cp.id))) {
        if (e.index >= n) continue;
        e.hash.copy(hashes, e.index * 32);
        flags[e.index] = e.flags;
        present[e.index] = 1;
      }
    }
    const missing = present.indexOf(0);
    if (missing >= 0) throw new StoreError(`recovery point ${pointId}: block ${missing} is in no manifest of its chain`);
    return { point: target, hashes, flags };
  }

  /**
   * Make a job-volume's chunks durable and commit its recovery point in one transaction.
   * Refuses (and commits nothing) when the Merkle root of the resulting image differs
   * from the agent's. Only for a store whose staging directory is the store (tests, local).
   */
  commitPoint(np: NewPoint, writer: ChunkWriter): number {
    if (this.remote) throw new StoreError('a remote store commits through commitPointStored');
    return this.commitPrepared(this.preparePoint(np, writer), null);
  }

  /**
   * Commit a point the way the hub does: check it, fsync its packs, wait until every pack is
   * in the store, write its point object beside them, then one catalog transaction. A pack
   * or object that cannot be stored fails the commit: nothing is committed that is not stored.
   */
  async commitPointStored(np: NewPoint, writer: ChunkWriter): Promise<number> {
    // fsync in the thread pool first, so preparePoint's seal finds every pack durable
    await writer.sealAsync();
    const prepared = this.preparePoint(np, writer);
    await this.storeWriter(writer);
    let objectName: string | null = null;
    if (this.repo) {
      objectName = `${np.time.replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(8).toString('hex')}`;
      const vol = this.catalog.volumeById(np.volumeId);
      const host = vol ? this.catalog.hostById(vol.hostId) : undefined;
      if (!vol || !host) throw new StoreError(`volume ${np.volumeId} is not in the catalog`);
      const name = OBJECT.point(objectName);
      const body = encodePointObject(
        { version: 1, host: host.name, volume: vol.name, volumePath: vol.path, time: np.time, type: np.type, size: np.size, blockSize: np.blockSize, blockCount: np.blockCount, merkleRoot: np.merkleRoot },
        prepared.hashes,
        name,
        this.repo.cipher,
      );
      await this.repo.store.put(name, body);
    }
    return this.commitPrepared(prepared, objectName);
  }

  private preparePoint(np: NewPoint, writer: ChunkWriter): PreparedPoint {
    const hashes = Buffer.alloc(np.blockCount * 32);
    if (np.type === 'incremental') {
      if (np.parentId === null) throw new StoreError('an incremental point needs a parent');
      const parentHashes = this.imageHashes(np.volumeId, np.parentId);
      parentHashes.copy(hashes, 0, 0, Math.min(parentHashes.length, hashes.length));
    }
    const seen = new Uint8Array(np.blockCount);
    for (const e of np.entries) {
      if (e.index >= np.blockCount) throw new StoreError(`block ${e.index} beyond the volume's ${np.blockCount} blocks`);
      const len = blockLength(e.index, np.blockSize, np.size);
      const h = e.flags & FLAG_ZERO ? zeroHash(len) : e.hash;
      h.copy(hashes, e.index * 32);
      seen[e.index] = 1;
      if (!(e.flags & FLAG_ZERO) && !writer.has(e.hash) && !this.catalog.hasChunk(e.hash)) {
        throw new StoreError(`block ${e.index}: chunk ${e.hash.toString('hex').slice(0, 16)} was never received`);
      }
    }
    if (np.type === 'full' && seen.indexOf(0) >= 0) throw new StoreError(`full point lacks block ${seen.indexOf(0)}`);
    const root = merkleRootPacked(hashes);
    if (root !== np.merkleRoot) {
      throw new StoreError(`Merkle root mismatch: agent ${np.merkleRoot.slice(0, 16)}, hub ${root.slice(0, 16)}`);
    }
    return { np, hashes, sealed: writer.seal(), writer };
  }

  private commitPrepared(prep: PreparedPoint, objectName: string | null): number {
    const { np, sealed, hashes } = prep;
    const bytesNew = sealed.packs.reduce((a, p) => a + p.size, 0);
    const entries = np.entries.map((e) => ({ ...e, hash: e.flags & FLAG_ZERO ? zeroHash(blockLength(e.index, np.blockSize, np.size)) : e.hash }));
    const healed: Buffer[] = [];
    const pointId = this.catalog.tx(() => {
      const packIds = new Map<string, number>();
      for (const p of sealed.packs) packIds.set(p.name, this.catalog.insertPack(p.name, p.size, np.time));
      for (const c of sealed.chunks) {
        const packId = packIds.get(c.packName)!;
        if (this.damage.has(c.hash)) {
          this.damage.healInTx(c.hash, { packId, offset: c.offset, length: c.length, rawLength: c.rawLength, codec: c.codec });
          healed.push(c.hash);
        } else this.catalog.insertChunk(c.hash, packId, c.offset, c.length, c.rawLength, c.codec);
      }
      const id = this.catalog.insertPoint(
        {
          volumeId: np.volumeId,
          jobId: np.jobId,
          time: np.time,
          type: np.type,
          parentId: np.type === 'full' ? null : np.parentId,
          size: np.size,
          blockSize: np.blockSize,
          blockCount: np.blockCount,
          changedBlocks: np.entries.length,
          bytesNew,
          merkleRoot: np.merkleRoot,
          site: np.site ?? 'primary',
        },
        encodeManifest(entries),
      );
      if (objectName) this.pointObjects.set(id, objectName);
      return id;
    });
    this.lastImage.set(np.volumeId, { pointId, hashes });
    this.damage.healed(healed);
    return pointId;
  }

  /**
   * The block hashes of a point's whole image. The newest committed image of each volume is
   * kept in memory, so an incremental's commit does not replay the chain from its full.
   * A point's image never changes (pruning merges deltas without changing images).
   */
  private imageHashes(volumeId: number, pointId: number): Buffer {
    const cached = this.lastImage.get(volumeId);
    if (cached && cached.pointId === pointId && this.catalog.point(pointId)) return cached.hashes;
    return this.blockMap(pointId).hashes;
  }

  /** Read a chunk, decompress it and check its hash; `where` names it in errors. A chunk that fails is marked damaged. */
  readChunk(hash: Buffer, where: string): Buffer {
    try {
      return this.readChunkChecked(hash, where);
    } catch (e) {
      if (e instanceof StoreError) this.damage.mark(hash, e.message);
      throw e;
    }
  }

  private readChunkChecked(hash: Buffer, where: string): Buffer {
    const loc = this.catalog.chunk(hash);
    if (!loc) throw new StoreError(`${where}: chunk ${hash.toString('hex').slice(0, 16)} is not in the index`);
    if (this.remote) throw new StoreError(`${where}: a remote store is read through readChunkAsync`);
    const stored = this.backend.read(loc.packName, loc.offset, loc.length);
    return this.decodeStored(stored, hash, loc, where);
  }

  /** Read a chunk through the pack cache (any store): decrypt, decompress, check its hash. */
  async readChunkAsync(hash: Buffer, where: string, signal?: AbortSignal): Promise<Buffer> {
    if (!this.remote) return this.readChunk(hash, where);
    const loc = this.catalog.chunk(hash);
    if (!loc) {
      this.damage.mark(hash, `${where}: not in the index`);
      throw new StoreError(`${where}: chunk ${hash.toString('hex').slice(0, 16)} is not in the index`);
    }
    const stored = await this.readStored(loc.packName, loc.offset, loc.length, signal);
    try {
      return this.decodeStored(stored, hash, loc, where);
    } catch (e) {
      if (e instanceof StoreError) this.damage.mark(hash, e.message);
      throw e;
    }
  }

  /** Stored bytes of a pack range (as written: encrypted in an encrypted store). */
  async readStored(packName: string, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (!this.remote) return this.backend.read(packName, offset, length);
    const file = await this.acquirePack(packName, signal);
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const out = Buffer.allocUnsafe(length);
        const got = fs.readSync(fd, out, 0, length, offset);
        return got === length ? out : out.subarray(0, got);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      this.releasePack(packName);
    }
  }

  /** The plain (still compressed) payload of stored bytes: decrypted with the pack key. */
  openStored(packName: string, hash: Buffer, stored: Buffer): Buffer {
    const key = this.packKey(packName);
    return key ? openSealed(key, stored, hash) : stored;
  }

  private decodeStored(stored: Buffer, hash: Buffer, loc: { packName: string; offset: number; length: number; codec: number; rawLength: number }, where: string): Buffer {
    if (stored.length !== loc.length) throw new StoreError(`${where}: pack ${loc.packName} is truncated at offset ${loc.offset}`);
    let raw: Buffer;
    try {
      const plain = this.openStored(loc.packName, hash, stored);
      raw = loc.codec === CODEC_ZSTD ? decompress(plain) : plain;
    } catch (e) {
      throw new StoreError(`${where}: chunk in pack ${loc.packName} at offset ${loc.offset} is damaged (${(e as Error).message})`);
    }
    if (raw.length !== loc.rawLength || !createHash('sha256').update(raw).digest().equals(hash)) {
      throw new StoreError(`${where}: chunk in pack ${loc.packName} at offset ${loc.offset} is damaged (hash mismatch)`);
    }
    return raw;
  }
}

export { ENTRY_BYTES };

/** sealed packs of one writer waiting for (or in) their upload, above which its feeder waits */
const UPLOADS_AHEAD = 6;

/** The uploads of one writer's sealed packs. */
class Uploads {
  readonly all: Promise<void>[] = [];
  pending = 0;
  private waiters: (() => void)[] = [];

  add(up: Promise<void>): void {
    up.catch(() => undefined); // awaited (and reported) by storeWriter
    this.all.push(up);
    this.pending++;
    void up
      .catch(() => undefined)
      .then(() => {
        this.pending--;
        if (this.pending <= UPLOADS_AHEAD / 2) for (const w of this.waiters.splice(0)) w();
      });
  }

  drained(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
}
