// Rebuild a volume at a recovery point into a file: sparse writes, every chunk verified,
// the Merkle root recomputed; written to a temporary name and renamed only when good.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import type { ChunkLocation } from '../catalog/catalog.js';
import { merkleRootPacked } from '../protocol/merkle.js';
import type { BlockStore } from './block-store.js';
import { describeBlocks } from './damage.js';
import { chainMetadataProblems } from './point-check.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO } from './manifest.js';
import type { RestoreBatch, RestoreBatchResult, RestoreItem } from './restore-worker.js';

export type ImageFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhdx';

export interface RestoreProgress {
  doneBytes: number;
  totalBytes: number;
}

export interface RestoreResult {
  path: string;
  format: ImageFormat;
  size: number;
  blocksWritten: number;
  merkleRoot: string;
  /** damaged blocks written as zeros (only with allowDamaged) */
  zeroedBlocks: number[];
}

const BATCH_BLOCKS_BYTES = 4 * 1024 * 1024;
const here = import.meta.url;
const workerUrl = new URL(here.endsWith('.ts') ? '../../dist/src/store/restore-worker.js' : './restore-worker.js', here);

/** A small pool of restore workers, created on first use and kept (unref'd) for the next. */
class RestorePool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private waiting: ((w: Worker) => void)[] = [];
  // more workers than cores: while one waits for its fdatasync, the others compute
  constructor(readonly size = Math.max(2, Math.min(6, os.availableParallelism() * 2))) {}
  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.workers.length < this.size) {
      const nw = new Worker(workerUrl);
      nw.unref();
      this.workers.push(nw);
      return Promise.resolve(nw);
    }
    return new Promise((r) => this.waiting.push(r));
  }
  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }
  async run(batch: RestoreBatch): Promise<RestoreBatchResult> {
    const w = await this.acquire();
    let dead = false;
    try {
      return await new Promise<RestoreBatchResult>((resolve, reject) => {
        const onMsg = (m: { result: RestoreBatchResult }) => {
          w.off('error', onErr);
          resolve(m.result);
        };
        const onErr = (e: Error) => {
          w.off('message', onMsg);
          dead = true;
          reject(e);
        };
        w.once('message', onMsg);
        w.once('error', onErr);
        w.postMessage({ id: 0, batch });
      });
    } finally {
      // a worker that crashed is dropped, never handed to the next batch or close
      if (dead) this.workers = this.workers.filter((x) => x !== w);
      else this.release(w);
    }
  }
  /** every worker closes its descriptor of `file` */
  async closeFile(file: string): Promise<void> {
    await Promise.all(
      this.workers.map(async () => {
        const w = await this.acquire();
        await new Promise<void>((resolve) => {
          w.once('message', () => resolve());
          w.postMessage({ close: file });
        });
        this.release(w);
      }),
    );
  }
}

let pool: RestorePool | null = null;

type RestoreOptions = {
  format?: ImageFormat;
  onProgress?: (p: RestoreProgress) => void;
  signal?: AbortSignal;
  sync?: boolean;
  /** write zeros where a chunk is damaged or missing instead of refusing the point */
  allowDamaged?: boolean;
};

/** Restore a point; while it runs, gc keeps the pack files it reads and retention keeps the point. */
export async function restoreVolume(store: BlockStore, pointId: number, volumeName: string, to: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const release = store.beginRead(pointId);
  try {
    return await restoreUnguarded(store, pointId, volumeName, to, opts);
  } finally {
    release();
  }
}

async function restoreUnguarded(store: BlockStore, pointId: number, volumeName: string, to: string, opts: RestoreOptions): Promise<RestoreResult> {
  const format = opts.format ?? 'raw';
  const sync = opts.sync ?? true;
  if (format !== 'raw') await requireQemuImg();
  const shape = chainMetadataProblems((id) => store.catalog.point(id), (id) => store.catalog.manifest(id), pointId);
  if (shape.length > 0) throw new StoreError(`volume ${volumeName}: refusing point ${pointId}, its metadata is inconsistent: ${shape[0]}${shape.length > 1 ? ` (and ${shape.length - 1} more)` : ''}`);
  const map = store.blockMap(pointId);
  const { point } = map;
  const locate = store.catalog.chunkLocator();
  // refuse a damaged point before anything is written
  const { bad, locs } = unreadableBlocks(store, map, locate);
  if (bad.size > 0 && !opts.allowDamaged) {
    throw new StoreError(`volume ${volumeName} point ${pointId} is damaged at ${describeBlocks([...bad])}; nothing written (--allow-damaged writes zeros there)`);
  }
  const dest = path.resolve(to);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}`;
  const rawTmp = format === 'raw' ? tmp : `${dest}.raw-${process.pid}`;
  pool ??= new RestorePool();
  const fd = fs.openSync(rawTmp, 'w', 0o600); // an image of a host's disk is private
  let written = 0;
  try {
    fs.ftruncateSync(fd, point.size);
    const perBatch = Math.max(1, Math.floor(BATCH_BLOCKS_BYTES / point.blockSize));
    const batches: RestoreBatch[] = [];
    for (let start = 0; start < point.blockCount; start += perBatch) {
      const end = Math.min(point.blockCount, start + perBatch);
      const items: RestoreItem[] = [];
      for (let i = start; i < end; i++) {
        if (map.flags[i]! & FLAG_ZERO || bad.has(i)) continue;
        const hash = map.hashes.subarray(i * 32, i * 32 + 32);
        const loc = locs[i];
        if (!loc) throw new StoreError(`volume ${volumeName} block ${i}: chunk ${hash.toString('hex').slice(0, 16)} is not in the index`);
        items.push({ index: i, pack: loc.packName, offset: loc.offset, length: loc.length, codec: loc.codec, rawLength: loc.rawLength, hash, key: store.packKey(loc.packName) ?? undefined });
      }
      const bytes = Math.min(point.size, end * point.blockSize) - start * point.blockSize;
      if (items.length) batches.push({ out: rawTmp, blockSize: point.blockSize, start, bytes, sync, items });
    }
    let doneBytes = 0;
    let failure: StoreError | null = null;
    const runBatch = async (b: RestoreBatch): Promise<void> => {
      if (failure || opts.signal?.aborted) return;
      // a remote store's packs come through the local cache, held until the batch is written
      const names = [...new Set(b.items.map((it) => it.pack))];
      const files = new Map<string, string>();
      try {
        for (const n of names) files.set(n, await store.acquirePack(n, opts.signal));
      } catch (e) {
        for (const n of files.keys()) store.releasePack(n);
        failure ??= e instanceof StoreError ? new StoreError(`volume ${volumeName}: ${e.message}`) : new StoreError(`volume ${volumeName}: ${(e as Error).message}`);
        return;
      }
      try {
        const r = await pool!.run({ ...b, items: b.items.map((it) => ({ ...it, pack: files.get(it.pack)! })) });
        if (!r.ok && r.index < 0) {
          failure ??= new StoreError(`volume ${volumeName}: ${r.message.split(rawTmp).join(dest)}`); // the target, not the store
          return;
        }
        if (!r.ok) {
          store.damage.mark(Buffer.from(map.hashes.subarray(r.index * 32, r.index * 32 + 32)), `volume ${volumeName} block ${r.index}: ${r.message}`);
          failure ??= new StoreError(`volume ${volumeName} block ${r.index}: ${r.message}`);
          return;
        }
        written += r.written;
        doneBytes += b.bytes;
        opts.onProgress?.({ doneBytes, totalBytes: point.size });
      } finally {
        for (const n of names) store.releasePack(n);
      }
    };
    // a bounded window of batches in flight keeps the pack cache (and memory) bounded
    let next = 0;
    const lanes = Array.from({ length: Math.min(batches.length, pool.size + 2) }, async () => {
      while (next < batches.length) await runBatch(batches[next++]!);
    });
    await Promise.all(lanes);
    await pool.closeFile(rawTmp);
    if (opts.signal?.aborted) throw new StoreError('restore cancelled');
    if (failure) throw failure;
    // every chunk's hash was checked against the manifest, so the image's root is the map's
    const root = merkleRootPacked(map.hashes);
    if (root !== point.merkleRoot) {
      throw new StoreError(`volume ${volumeName} point ${pointId}: Merkle root ${root.slice(0, 16)} differs from recorded ${point.merkleRoot.slice(0, 16)}`);
    }
    if (sync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (format !== 'raw') {
      await qemuImg(['convert', '-f', 'raw', '-O', format, rawTmp, tmp]);
      fs.rmSync(rawTmp, { force: true });
    }
    fs.renameSync(tmp, dest);
    opts.onProgress?.({ doneBytes: point.size, totalBytes: point.size });
    return { path: dest, format, size: point.size, blocksWritten: written, merkleRoot: root, zeroedBlocks: [...bad].sort((a, b) => a - b) };
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    await pool.closeFile(rawTmp).catch(() => undefined);
    fs.rmSync(rawTmp, { force: true });
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Where each block's chunk lies, and the blocks whose chunk is marked damaged or missing from the index. */
function unreadableBlocks(store: BlockStore, map: { hashes: Buffer; flags: Uint8Array }, locate: (h: Buffer) => ChunkLocation | undefined) {
  const bad = new Set(store.damage.damagedBlocks(map, FLAG_ZERO).map((b) => b.index));
  const locs: (ChunkLocation | undefined)[] = new Array(map.flags.length);
  for (let i = 0; i < map.flags.length; i++) {
    if (map.flags[i]! & FLAG_ZERO || bad.has(i)) continue;
    const loc = locate(map.hashes.subarray(i * 32, i * 32 + 32));
    if (loc) locs[i] = loc;
    else bad.add(i);
  }
  return { bad, locs };
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

async function requireQemuImg(): Promise<void> {
  try {
    await run('qemu-img', ['--version']);
  } catch {
    throw new StoreError('qemu-img is not installed: formats other than raw need it (Debian: apt-get install qemu-utils)');
  }
}

async function qemuImg(args: string[]): Promise<void> {
  const r = await run('qemu-img', args);
  if (r.code !== 0) throw new StoreError(`qemu-img ${args[0]} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
}
