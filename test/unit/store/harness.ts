// A block store in a temp directory with one volume, committing images the way the hub does.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compress } from 'zstd-napi';
import { Catalog } from '../../../src/catalog/catalog.js';
import { merkleRootPacked } from '../../../src/protocol/merkle.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { BlockStore, CODEC_RAW, CODEC_ZSTD, type NewPoint } from '../../../src/store/block-store.js';
import type { ChunkWriter } from '../../../src/store/chunk-writer.js';
import { FLAG_ZERO, type ManifestEntry } from '../../../src/store/manifest.js';
import { restoreVolume } from '../../../src/store/restore.js';

export const BS = 4096;
export const BLOCKS = 12;
export const SIZE = BLOCKS * BS;

export const sha = (b: Buffer) => createHash('sha256').update(b).digest();

export class StoreHarness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-maint-'));
  readonly catalog = new Catalog(path.join(this.dir, 'catalog.db'));
  readonly store = new BlockStore(this.catalog, new LocalDirectoryBackend(path.join(this.dir, 'packs')));
  readonly volumeId: number;
  /** the image each point was taken from */
  readonly images = new Map<number, Buffer>();
  private clock = Date.parse('2025-06-01T00:00:00Z');

  constructor() {
    const host = this.catalog.addHost('h1', [], null, 'x'.repeat(64), new Date(0).toISOString());
    this.volumeId = this.catalog.upsertVolume(host.id, 'disk', '/dev/null', SIZE, BS).id;
  }

  /** An image of random blocks with an all-zero block 5. */
  image(): Buffer {
    const img = randomBytes(SIZE);
    img.fill(0, 5 * BS, 6 * BS);
    return img;
  }

  block(img: Buffer, i: number): Buffer {
    return img.subarray(i * BS, Math.min(img.length, (i + 1) * BS));
  }

  /** Copy of `img` with fresh random content in `blocks`. */
  changed(img: Buffer, blocks: number[]): Buffer {
    const next = Buffer.from(img);
    for (const i of blocks) randomBytes(BS).copy(next, i * BS);
    return next;
  }

  /** Commit the listed blocks of `img` as a full (base null) or an incremental on `base`. */
  commit(img: Buffer, blocks: number[], base: number | null): number {
    const { np, writer } = this.newPoint(img, blocks, base);
    const id = this.store.commitPoint(np, writer);
    this.images.set(id, img);
    return id;
  }

  /** The same, the way the hub commits: packs and the point object stored in the repository first. */
  async commitStored(img: Buffer, blocks: number[], base: number | null): Promise<number> {
    const { np, writer } = this.newPoint(img, blocks, base);
    const id = await this.store.commitPointStored(np, writer);
    this.images.set(id, img);
    return id;
  }

  private newPoint(img: Buffer, blocks: number[], base: number | null): { np: NewPoint; writer: ChunkWriter } {
    const writer = this.store.openWriter();
    const entries: ManifestEntry[] = [];
    for (const i of blocks) {
      const b = this.block(img, i);
      const h = sha(b);
      if (b.every((x) => x === 0)) {
        entries.push({ index: i, flags: FLAG_ZERO, hash: h });
        continue;
      }
      entries.push({ index: i, flags: 0, hash: h });
      if (writer.has(h) || this.store.reuseChunk(writer, h)) continue;
      const z = compress(b);
      writer.put(h, z.length < b.length ? CODEC_ZSTD : CODEC_RAW, b.length, z.length < b.length ? z : Buffer.from(b));
    }
    const hashes = Buffer.concat(Array.from({ length: BLOCKS }, (_, i) => sha(this.block(img, i))));
    this.clock += 3_600_000;
    return {
      writer,
      np: {
        volumeId: this.volumeId,
        jobId: null,
        time: new Date(this.clock).toISOString(),
        type: base === null ? 'full' : 'incremental',
        parentId: base,
        size: SIZE,
        blockSize: BS,
        blockCount: BLOCKS,
        entries,
        merkleRoot: merkleRootPacked(hashes),
      },
    };
  }

  all(): number[] {
    return Array.from({ length: BLOCKS }, (_, i) => i);
  }

  async restored(pointId: number): Promise<Buffer> {
    const out = path.join(this.dir, `restore-${pointId}.img`);
    await restoreVolume(this.store, pointId, 'disk', out);
    const bytes = fs.readFileSync(out);
    fs.rmSync(out);
    return bytes;
  }

  /** Every remaining point restores to the image it was taken from. */
  async allRestoreIdentical(): Promise<boolean> {
    for (const p of this.catalog.points(this.volumeId)) if (!(await this.restored(p.id)).equals(this.images.get(p.id)!)) return false;
    return true;
  }

  packFiles(): string[] {
    return this.store.backend.list().sort();
  }

  packBytesOnDisk(): number {
    return this.packFiles().reduce((a, p) => a + this.store.backend.sizeOf(p), 0);
  }

  /** Registered packs all exist, every chunk lies inside its pack. */
  consistent(): boolean {
    const onDisk = new Set(this.packFiles());
    const rows = this.catalog.db.prepare('SELECT p.name AS name, c.offset AS offset, c.length AS length FROM chunks c JOIN packs p ON p.id = c.pack_id').all() as { name: string; offset: number; length: number }[];
    const packs = [...this.catalog.packNames()];
    return packs.every((p) => onDisk.has(p)) && rows.every((r) => onDisk.has(r.name) && r.offset + r.length <= this.store.backend.sizeOf(r.name));
  }

  close(): void {
    this.store.backend.close();
    this.catalog.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
