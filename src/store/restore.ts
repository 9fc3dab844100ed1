// Rebuild a volume at a recovery point into a file: window by window, the workers decode and
// verify every chunk into the window's memory and the hub writes its data runs in image order
// (zero blocks stay holes); the Merkle root recomputed; written to a temporary name and
// renamed only when good.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { merkleRootPacked } from '../protocol/merkle.js';
import type { BlockStore } from './block-store.js';
import { chunkPool } from './chunk-pool.js';
import type { ExtentJob, PhaseTimes } from './chunk-worker.js';
import { describeBlocks } from './damage.js';
import { TargetWriter, directWritable, giveRing, takeRing } from './direct-write.js';
import { chainMetadataProblems } from './point-check.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO, blockLength } from './manifest.js';
import { hashesOf, type PlannedExtent } from './read-plan.js';
import { RestorePlan, type PlanWindow } from './restore-plan.js';

export type ImageFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhdx';

export interface RestoreProgress {
  doneBytes: number;
  totalBytes: number;
}

/** Where a restore spent its time: worker phases summed over the workers, the rest wall-clock. */
export interface RestorePhases extends PhaseTimes {
  /** checking and reading the manifests before the first read */
  plan: number;
  /** looking up the chunks and planning the reads, window by window while the workers run */
  lookup: number;
  /** 1 when the blocks were written with O_DIRECT (a durable raw restore) */
  direct: number;
  /** wall time of the windows' writes (summed: they overlap each other and the decoding) */
  write: number;
  /** writes issued (runs of consecutive data blocks) */
  writes: number;
  /** time extents waited for a free window (summed): large when the disk is the bound, not the decoding */
  windowWait: number;
  /** wall time of the flushes while writing (they overlap the other phases) */
  flush: number;
  /** the final fsync before success */
  fsync: number;
  total: number;
  workers: number;
  /** stored bytes read and pread calls */
  bytesRead: number;
  reads: number;
}

export interface RestoreResult {
  path: string;
  format: ImageFormat;
  size: number;
  blocksWritten: number;
  merkleRoot: string;
  /** damaged blocks written as zeros (only with allowDamaged) */
  zeroedBlocks: number[];
  phases: RestorePhases;
}

// one pread of up to 4 MiB, decoding to at most 4 MiB: big reads, bounded memory per job (a
// read buffer per worker; 8 MiB extents cost the hub ~30 MB more at the same speed)
const EXTENT = { maxBytes: 4 << 20, maxRawBytes: 4 << 20, maxGap: 128 << 10 };
// the image is decoded and written in windows of 8 MiB, a few at a time: one write per run of
// data blocks, however many packs the blocks came from (a 64 KiB write costs the disk here
// 0.2–0.5 ms, as much as a 256 KiB one); four windows: two decoding, one writing, one spare
// (32 MiB; six made the hub's RSS peak over 300 MB in bench:backup)
const WINDOW_BYTES = 8 << 20;
const WINDOWS_IN_FLIGHT = 4;
// written data is flushed as the restore goes, so the disk writes while the workers compute
// and the final fsync is short (node has no sync_file_range)
const FLUSH_EVERY = 64 << 20;

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
  const t0 = performance.now();
  const format = opts.format ?? 'raw';
  const sync = opts.sync ?? true;
  if (format !== 'raw') await requireQemuImg();
  const shape = chainMetadataProblems((id) => store.catalog.point(id), (id) => store.catalog.manifest(id), pointId);
  if (shape.length > 0) throw new StoreError(`volume ${volumeName}: refusing point ${pointId}, its metadata is inconsistent: ${shape[0]}${shape.length > 1 ? ` (and ${shape.length - 1} more)` : ''}`);
  const map = store.blockMap(pointId);
  const { point } = map;
  // refuse a point with chunks marked damaged before anything is written; a chunk missing
  // from the index is found while planning, and fails the restore the same way
  const damaged = new Set(store.damage.damagedBlocks(map, FLAG_ZERO).map((b) => b.index));
  const refusal = (blocks: number[]) => new StoreError(`volume ${volumeName} point ${pointId} is damaged at ${describeBlocks(blocks)}; nothing written (--allow-damaged writes zeros there)`);
  if (damaged.size > 0 && !opts.allowDamaged) throw refusal([...damaged]);
  const windowBlocks = Math.max(1, Math.floor(WINDOW_BYTES / point.blockSize));
  const plan = new RestorePlan({ hashes: map.hashes, flags: map.flags, size: point.size, blockSize: point.blockSize, damaged, locate: store.catalog.chunkLocator(), batch: (fn) => store.catalog.tx(fn) }, EXTENT, windowBlocks);
  let dataBytes = 0; // written so far; zero and zeroed blocks are holes, done once the file has its size
  const phases: RestorePhases = { plan: performance.now() - t0, lookup: 0, direct: 0, read: 0, decompress: 0, verify: 0, write: 0, writes: 0, windowWait: 0, flush: 0, fsync: 0, total: 0, workers: 0, bytesRead: 0, reads: 0 };
  const dest = path.resolve(to);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}`;
  const rawTmp = format === 'raw' ? tmp : `${dest}.raw-${process.pid}`;
  const pool = chunkPool();
  phases.workers = pool.size;
  const fd = fs.openSync(rawTmp, 'w', 0o600); // an image of a host's disk is private
  // a raw restore writes past the page cache: what the final fsync must wait for is then only
  // the metadata, and no copy of every byte is made into the cache. Without the fsync too: a
  // buffered restore of GiBs runs into the kernel's dirty-page throttling and is the slower one
  const direct = format === 'raw' && directWritable(rawTmp);
  phases.direct = direct ? 1 : 0;
  let written = 0;
  let flushing: Promise<void> | null = null;
  let unflushed = 0;
  const flush = (): void => {
    if (flushing || unflushed < FLUSH_EVERY) return;
    unflushed = 0;
    const t = performance.now();
    flushing = new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())).then(() => {
      phases.flush += performance.now() - t;
      flushing = null;
      flush();
    });
  };
  const ring = takeRing(WINDOWS_IN_FLIGHT, plan.windowBlocks * point.blockSize);
  const writer = new TargetWriter(rawTmp, fd, direct);
  /** windows being decoded: their ring slot and how many of their extents are not done */
  const open = new Map<number, { slot: Promise<number>; left: number }>();
  /** windows being written */
  const writing = new Set<Promise<void>>();
  try {
    fs.ftruncateSync(fd, point.size);
    let failure: StoreError | null = null;
    const bs = point.blockSize;
    /** write a complete window's runs of data blocks, in image order */
    const writeWindow = async (win: PlanWindow, slot: number): Promise<void> => {
      const t = performance.now();
      let bytes = 0;
      try {
        // the window's runs all at once: the disk's queue stays full while each waits its turn
        const runs: Promise<void>[] = [];
        const data = win.data;
        for (let i = 0; i < data.length; ) {
          let n = 1;
          while (i + n < data.length && data[i + n] === data[i]! + n) n++;
          const first = data[i]!;
          const len = blockLength(first + n - 1, bs, point.size) + (n - 1) * bs;
          runs.push(writer.write(ring.view(slot, (first - win.from) * bs, len), first * bs));
          bytes += len;
          i += n;
        }
        phases.writes += runs.length;
        // every write over before the slot or the descriptor is let go, even after a failed one
        const bad = (await Promise.allSettled(runs)).find((r) => r.status === 'rejected');
        if (bad) throw bad.reason;
      } catch (e) {
        failure ??= new StoreError(`volume ${volumeName}: writing ${dest} failed: ${(e as Error).message}`);
        return;
      } finally {
        phases.write += performance.now() - t;
        ring.release(slot);
      }
      if (failure) return;
      written += win.data.length;
      dataBytes += bytes;
      if (sync && !direct) {
        unflushed += bytes;
        flush();
      }
      opts.onProgress?.({ doneBytes: dataBytes + plan.holeBytes, totalBytes: point.size });
    };
    /** one extent of window `win` is done: the last one hands the window to the disk */
    const extentDone = (win: PlanWindow): void => {
      const o = open.get(win.index)!;
      if (--o.left > 0) return;
      open.delete(win.index);
      plan.windows.delete(win.index);
      // without a failure every extent of the window had its slot, so o.slot is settled
      if (failure || opts.signal?.aborted) void o.slot.then((slot) => ring.release(slot));
      else {
        const w = o.slot.then((slot) => writeWindow(win, slot));
        writing.add(w);
        void w.finally(() => writing.delete(w));
      }
    };
    const runExtent = async (x: PlannedExtent): Promise<void> => {
      const win = plan.windows.get(x.window!)!;
      // slots go to windows in plan order (extents are handed out in that order)
      let o = open.get(win.index);
      if (!o) open.set(win.index, (o = { slot: ring.acquire(), left: win.extents }));
      try {
        if (failure || opts.signal?.aborted) return;
        const tw = performance.now();
        const slot = await o.slot;
        phases.windowWait += performance.now() - tw;
        if (failure || opts.signal?.aborted) return;
        await decodeExtent(x, win, slot);
      } finally {
        extentDone(win);
      }
    };
    const decodeExtent = async (x: PlannedExtent, win: PlanWindow, slot: number): Promise<void> => {
      // a remote store's packs come through the local cache, held until the extent is decoded
      let file: string;
      try {
        file = await store.acquirePack(x.packName, opts.signal);
      } catch (e) {
        failure ??= new StoreError(`volume ${volumeName}: ${(e as Error).message}`);
        return;
      }
      try {
        const key = store.packKey(x.packName);
        const job: ExtentJob = {
          pack: file,
          offset: x.offset,
          length: x.length,
          hashes: hashesOf(x),
          ...(key ? { key: new Uint8Array(key) } : {}),
          place: { buffer: ring.memory, at: slot * ring.slotBytes, first: win.from, blockSize: bs },
          chunks: x.chunks.map((c) => ({ at: c.loc.offset - x.offset, length: c.loc.length, codec: c.loc.codec, rawLength: c.loc.rawLength, dests: c.dests })),
        };
        let r: Awaited<ReturnType<typeof pool.run>>;
        try {
          r = await pool.run(job);
        } catch (e) {
          failure ??= new StoreError(`volume ${volumeName}: the restore worker failed: ${(e as Error).message}`);
          return;
        }
        for (const k of ['read', 'decompress', 'verify'] as const) phases[k] += r.times[k];
        phases.bytesRead += x.length;
        phases.reads++;
        if (!r.ok) {
          const c = x.chunks[r.chunk]!;
          store.damage.mark(Buffer.from(c.hash), `volume ${volumeName} block ${c.dests[0]}: ${r.message}`);
          failure ??= new StoreError(`volume ${volumeName} block ${c.dests[0]}: ${r.message}`);
        }
      } finally {
        store.releasePack(x.packName);
      }
    };
    // the Merkle root is computed once everything is planned, while the workers still write;
    // every chunk's hash is checked against the manifest, so the image's root is the map's
    let root = '';
    const planning = plan
      .run(
        () => failure !== null || opts.signal?.aborted === true,
        () => opts.allowDamaged === true,
      )
      .then(() => {
        if (plan.missing.length > 0 && !opts.allowDamaged) failure ??= refusal(plan.missing);
        else root = merkleRootPacked(map.hashes);
      });
    // a bounded window of extents in flight keeps the workers busy (each job slot full, one more
    // waiting per worker) and memory (and the pack cache) bounded; a remote store's next packs
    // download ahead of the lanes
    const extents = store.extentsAhead(() => plan.next(), opts.signal);
    const lanes = Array.from({ length: pool.slots + pool.size }, async () => {
      for (let x = await extents.next(); x; x = await extents.next()) await runExtent(x);
    });
    await Promise.all([planning, ...lanes]).finally(() => extents.close());
    phases.lookup = plan.planMs;
    while (writing.size > 0) await Promise.all(writing);
    giveRing(ring);
    writer.closeDirect();
    await flushing;
    if (opts.signal?.aborted) throw new StoreError('restore cancelled');
    if (failure) throw failure;
    if (root !== point.merkleRoot) {
      throw new StoreError(`volume ${volumeName} point ${pointId}: Merkle root ${root.slice(0, 16)} differs from recorded ${point.merkleRoot.slice(0, 16)}`);
    }
    const tf = performance.now();
    if (sync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(new StoreError(`volume ${volumeName}: writing ${dest} failed: ${e.message}`)) : resolve())));
    phases.fsync = performance.now() - tf;
    fs.closeSync(fd);
    if (format !== 'raw') {
      await qemuImg(['convert', '-f', 'raw', '-O', format, rawTmp, tmp]);
      fs.rmSync(rawTmp, { force: true });
    }
    fs.renameSync(tmp, dest);
    opts.onProgress?.({ doneBytes: point.size, totalBytes: point.size });
    phases.total = performance.now() - t0;
    return { path: dest, format, size: point.size, blocksWritten: written, merkleRoot: root, zeroedBlocks: [...damaged, ...plan.missing].sort((a, b) => a - b), phases };
  } catch (e) {
    while (writing.size > 0) await Promise.all(writing);
    giveRing(ring);
    writer.closeDirect();
    await flushing;
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(rawTmp, { force: true });
    fs.rmSync(tmp, { force: true });
    throw e;
  }
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
