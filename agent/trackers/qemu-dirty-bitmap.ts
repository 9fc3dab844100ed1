// The `qemu-dirty-bitmap` tracker: real changed-block tracking. QEMU records every write in
// a dirty bitmap; a backup freezes a point in time (see qemu-fleece.ts), asks NBD block status
// for the frozen bitmap's dirty extents and reads only those blocks. When the bitmap cannot be
// trusted (daemon restarted without it, unclean shutdown, resized volume) the tracker says so,
// reads the whole point-in-time view once, compares it with the base's hash list, and re-arms.
// A full backup reads the frozen view in one pass (full-upload.ts), a raw image mostly from
// its file (qemu-full.ts), hashed and framed by the full readers, nothing read twice.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LogFn } from '../log.js';
import { NbdClient, parseNbdAddress, type NbdAddress } from '../../src/protocol/nbd/client.js';
import { NbdReadConnections } from '../nbd/connections.js';
import { STATE_DIRTY, STATE_ZERO } from '../../src/protocol/nbd/protocol.js';
import { QmpClient } from '../qmp/client.js';
import type { SendItem, SendResult } from '../send-worker.js';
import type { VolumeGeneration } from '../state.js';
import { MANAGED_NODE, StorageDaemon } from './qemu-daemon.js';
import { VolumeNode, findVolumeNode, type BitmapInfo } from './qemu-fleece.js';
import type { FullResult } from './full-worker.js';
import { blocksOf, readBatch, readPlan, readSlabs, warmHashers, type BlockRange } from './qemu-reader.js';
import { PhaseTimes } from './phase-times.js';
import { BitmapRecords, type BitmapRecord } from './qemu-records.js';
import { ALLOCATION_DEPTH, FrozenFullReader } from './qemu-full.js';
import { senders, type ChangedBlocks, type LiveBitmap, type TrackedVolume, type VolumeTracker } from './tracker.js';

export interface QemuVolume extends TrackedVolume {
  /** QMP socket and NBD server of a running qemu-storage-daemon; both null: the agent runs one */
  qmp: string | null;
  nbd: string | null;
}

export interface QemuTrackerOptions {
  volume: QemuVolume;
  /** the agent's data directory: sockets and records go to DATA/qemu */
  dataDir: string;
  /** the committed generation of a volume */
  generation(volume: string): number | null;
  log: LogFn;
  /** tell the hub: the bitmap cannot be trusted, this run reads everything */
  invalidated(volume: string, message: string): void;
  /** bytes of changed blocks kept in memory between hashing and sending (default 256 MiB) */
  keepBytes?: number;
}

interface Frozen {
  current: string | null;
  next: string;
  size: number;
  nbd: NbdReadConnections | null;
  kept: Map<number, Uint8Array>;
  /** what `kept` lies in: back to the pool when the view is released */
  slabs: Buffer[];
  /** a full's reads (beginFull), else null */
  full: FrozenFullReader | null;
}

/** NBD connections a backup reads the point-in-time view over (see nbd/connections.ts) */
const READ_CONNECTIONS = 2;

/** Test hook: when this file exists after the freeze, the tracker marks it `frozen` and waits until it is deleted. */
const PAUSE_FILE = process.env.DRC_TEST_PAUSE_AFTER_FREEZE;

export class QemuDirtyBitmapTracker implements VolumeTracker {
  readonly kind = 'qemu-dirty-bitmap';
  readonly dir: string;
  private daemon: StorageDaemon | null = null;
  private node: VolumeNode | null = null;
  private nbdAddress: NbdAddress | null = null;
  private frozen: Frozen | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private zeroCache = new Map<number, Buffer>();
  private readonly records: BitmapRecords;

  constructor(private readonly o: QemuTrackerOptions) {
    this.dir = path.join(o.dataDir, 'qemu');
    this.records = new BitmapRecords(this.dir, o.volume.name);
  }

  private get vol(): QemuVolume {
    return this.o.volume;
  }

  /** Where a daemon the agent runs serves the disk (writable export named after the volume). */
  get managedNbdPath(): string {
    return path.join(this.dir, `${this.vol.name}.nbd`);
  }

  /** One operation at a time on the daemon. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.queue.then(fn);
    this.queue = r.catch(() => undefined);
    return r;
  }

  open(): Promise<void> {
    warmHashers();
    senders.warm();
    return this.serial(async () => void (await this.connect()));
  }

  size(): Promise<number> {
    return this.serial(async () => (await this.connect()).size());
  }

  private async connect(): Promise<VolumeNode> {
    if (this.node && !this.node.qmp.closed) return this.node;
    this.node = null;
    fs.mkdirSync(this.dir, { recursive: true });
    const external = this.vol.qmp !== null && this.vol.nbd !== null;
    const qmp = external ? await QmpClient.connect(this.vol.qmp!) : await this.managedMonitor();
    try {
      this.nbdAddress = external ? parseNbdAddress(this.vol.nbd!) : { path: this.managedNbdPath };
      const nodeName = external ? await findVolumeNode(qmp, this.vol.name, this.vol.path) : MANAGED_NODE;
      const node = new VolumeNode(qmp, nodeName, this.vol.name, path.join(this.dir, `${this.vol.name}.fleece.qcow2`));
      if (external) await node.ensureNbdServer(this.nbdAddress);
      await this.recover(node);
      this.node = node;
      return node;
    } catch (e) {
      await qmp.close(); // a monitor serves one client at a time: do not keep it busy
      throw e;
    }
  }

  /** The monitor of the daemon the agent runs, (re)starting the daemon when it is not there. */
  private async managedMonitor(): Promise<QmpClient> {
    const d = this.daemon;
    const alive = d?.running ? await QmpClient.connect(d.qmpPath, 2000).catch(() => null) : null;
    if (alive) return alive;
    if (d) this.o.log('warning', `volume ${this.vol.name}: qemu-storage-daemon is gone (${d.lastError()}); starting it again`);
    await d?.stop();
    this.daemon = await StorageDaemon.start({ image: this.vol.path, dir: this.dir, exportName: this.vol.name });
    this.o.log('info', `volume ${this.vol.name}: qemu-storage-daemon serves ${this.vol.path} (${this.daemon.format}, ${this.daemon.aio} I/O) at ${this.daemon.nbdPath}`);
    return QmpClient.connect(this.daemon.qmpPath);
  }

  /** Clean up after a crash: no fleece left, and exactly one bitmap tracking since the generation. */
  private async recover(node: VolumeNode): Promise<void> {
    await node.thaw();
    const peek = `drc-peek-${this.vol.name}`;
    await node.deleteExport(peek);
    const rec = this.record();
    const bitmaps = await node.bitmaps();
    if (bitmaps.some((b) => b.name === peek)) await node.removeBitmap(peek);
    const ours = bitmaps.filter((b) => b.name.startsWith(this.prefix));
    const known = rec ? ours.find((b) => b.name === rec.bitmap) : undefined;
    const others = ours.filter((b) => b !== known).map((b) => b.name);
    // a job that froze `known` and never committed: what its next bitmap saw belongs to `known`
    if (known && !known.recording && !known.inconsistent) await node.mergeBack(known.name, others);
    else for (const b of others) await node.removeBitmap(b);
  }

  private get prefix(): string {
    return `drc.${this.vol.name}.`;
  }

  /** The record of the committed generation. */
  /** The volume as the daemon has it now: its size in blocks, and our bitmap's record and state. */
  private async look(): Promise<{ node: VolumeNode; size: number; bs: number; blockCount: number; rec: BitmapRecord | null; bitmap: BitmapInfo | undefined }> {
    const node = await this.connect();
    const size = await node.size();
    const bs = this.vol.blockSize;
    const rec = this.record();
    const bitmap = rec ? (await node.bitmaps()).find((b) => b.name === rec.bitmap) : undefined;
    return { node, size, bs, blockCount: Math.ceil(size / bs), rec, bitmap };
  }

  private record(): BitmapRecord | null {
    return this.records.read(this.o.generation(this.vol.name));
  }

  /** Why the recorded bitmap cannot stand for the changes since the generation, or null. */
  private problem(rec: BitmapRecord, b: BitmapInfo | undefined, size: number, node: VolumeNode): string | null {
    if (!b) return `dirty bitmap ${rec.bitmap} is gone from node ${node.node} (was the daemon restarted?)`;
    if (b.inconsistent) return `dirty bitmap ${b.name} is inconsistent (the daemon did not shut down cleanly)`;
    if (!b.recording) return `dirty bitmap ${b.name} is not recording`;
    if (b.granularity > this.vol.blockSize) return `dirty bitmap ${b.name} has granularity ${b.granularity}, coarser than the ${this.vol.blockSize}-byte blocks`;
    if (rec.blockSize !== this.vol.blockSize) return `the block size changed from ${rec.blockSize} to ${this.vol.blockSize}`;
    if (rec.size !== size) return `the volume changed size from ${rec.size} to ${size} bytes`;
    return null;
  }

  changedBlocks(prev: VolumeGeneration | null): Promise<ChangedBlocks> {
    return this.serial(async () => {
      const times = new PhaseTimes();
      const { node, size, bs, blockCount, rec, bitmap } = await this.look();
      const problem = rec ? this.problem(rec, bitmap, size, node) : null;
      if (problem && bitmap) await node.removeBitmap(bitmap.name);
      const current = !problem && bitmap ? bitmap.name : null;
      const useBitmap = prev !== null && current !== null && rec?.generation === prev.generation;
      if (prev && !useBitmap) {
        if (problem) {
          this.o.invalidated(this.vol.name, `${problem}; reading the whole volume once and re-arming the bitmap`);
          this.o.log('warning', `volume ${this.vol.name}: ${problem}; full scan against generation ${prev.generation}`);
        } else {
          this.o.log('info', `volume ${this.vol.name}: no dirty bitmap for generation ${prev.generation} yet; full scan, then the bitmap takes over`);
        }
      }
      const next = `${this.prefix}${Date.now().toString(36)}`;
      const persistent = await node.canPersist();
      times.lap('inspect');
      await node.freeze({ current, next, granularity: bs, persistent, size }, times);
      const frozen: Frozen = { current, next, size, nbd: null, kept: new Map(), slabs: [], full: null };
      this.frozen = frozen;
      await pauseForTest(this.vol.name);
      const context = `qemu:dirty-bitmap:${current}`;
      const metaContexts = useBitmap ? ['base:allocation', context] : ['base:allocation'];
      frozen.nbd = await NbdReadConnections.open(this.nbdAddress!, node.fleeceId, READ_CONNECTIONS, { metaContexts });
      const nbd = frozen.nbd;
      times.lap('nbdConnect');
      const [allocation, dirty] = await Promise.all([nbd.primary.blockStatus('base:allocation'), useBitmap ? nbd.primary.blockStatus(context) : null]);
      const zero = blocksOf(allocation, STATE_ZERO, bs, size, true);
      const examine: BlockRange[] = dirty ? blocksOf(dirty, STATE_DIRTY, bs, size, false) : [{ first: 0, count: blockCount }];
      times.lap('blockStatus');
      const out = await readPlan({
        blockSize: bs,
        size,
        examine,
        zero,
        compareWith: prev && !useBitmap ? prev.sha : null,
        keepBytes: this.o.keepBytes ?? 256 * 1024 * 1024,
        zeroSha: (len) => this.zeroSha(len),
        read: (offset, length, into) => nbd.read(offset, length, into),
      });
      frozen.kept = out.kept;
      frozen.slabs = out.slabs;
      times.lap('readAndHash');
      times.add('readsDone', out.readsDoneMs);
      times.add('hashWorker', out.hashMs);
      // no xxh3 list: the bitmap says what changed, and a fallback scan compares sha256
      // (all zero: a later switch to the scan tracker sees every block as changed)
      return { blockCount, size, changed: out.changed, zero: out.zero, sha: out.sha, xxh: Buffer.alloc(blockCount * 8), bytesRead: out.bytesRead, phases: times.ms };
    });
  }

  /** a full's reader asks the daemon about each range after its thread read it: one more range in flight keeps the threads reading meanwhile */
  readonly extraReadAhead = 1;

  /** A full in one pass: freeze the point-in-time view now and connect to it; its size. */
  beginFull(): Promise<number> {
    return this.serial(async () => {
      const { node, size, bs, rec, bitmap } = await this.look();
      const problem = rec ? this.problem(rec, bitmap, size, node) : null;
      if (problem && bitmap) await node.removeBitmap(bitmap.name);
      const current = !problem && bitmap ? bitmap.name : null;
      const next = `${this.prefix}${Date.now().toString(36)}`;
      await node.freeze({ current, next, granularity: bs, persistent: await node.canPersist(), size }, new PhaseTimes());
      const frozen: Frozen = { current, next, size, nbd: null, kept: new Map(), slabs: [], full: null };
      this.frozen = frozen;
      await pauseForTest(this.vol.name);
      const file = await node.rawFile();
      frozen.nbd = await NbdReadConnections.open(this.nbdAddress!, node.fleeceId, READ_CONNECTIONS, { metaContexts: file ? [ALLOCATION_DEPTH, 'base:allocation'] : ['base:allocation'] });
      // the view's zero blocks (holes): the full reads nothing for them
      const known0 = new Uint8Array(Math.ceil(size / bs));
      for (const r of blocksOf(await frozen.nbd.primary.blockStatus('base:allocation'), STATE_ZERO, bs, size, true)) known0.fill(1, r.first, r.first + r.count);
      frozen.full = new FrozenFullReader(frozen.nbd, file, bs, known0);
      return size;
    });
  }

  /** Blocks start..end of the frozen view: read in large requests, hashed and framed by a full reader. */
  readFull(start: number, end: number, size: number, job: { jobId: number; volumeIndex: number }, out: Buffer): Promise<FullResult> {
    const full = this.frozen?.full;
    if (!full) throw new Error(`volume ${this.vol.name}: no point-in-time view to read from`);
    return full.read(start, end, size, job, out);
  }

  private zeroSha(len: number): Buffer {
    let z = this.zeroCache.get(len);
    if (!z) {
      z = createHash('sha256').update(Buffer.alloc(len)).digest();
      this.zeroCache.set(len, z);
    }
    return z;
  }

  async frames(items: SendItem[], job: { jobId: number; volumeIndex: number }, out?: Buffer): Promise<SendResult> {
    const f = this.frozen;
    if (!f?.nbd) throw new Error(`volume ${this.vol.name}: no point-in-time view to read from`);
    const bs = this.vol.blockSize;
    const missing: SendItem[] = [];
    let slab: Buffer | null = null;
    for (const it of items) {
      it.data = f.kept.get(it.index);
      f.kept.delete(it.index);
      if (!it.data) missing.push(it);
    }
    if (missing.length) {
      // beyond the memory budget: read again from the same view, contiguous blocks in one request
      const nbd = f.nbd;
      const batch = await readBatch({ blockSize: bs, size: f.size, read: (o, l, into) => nbd.read(o, l, into) }, missing.map((it) => it.index));
      slab = batch.slab;
      missing.forEach((it, k) => (it.data = batch.buf.subarray(k * bs, k * bs + Math.min(bs, f.size - it.index * bs))));
    }
    try {
      // shared memory: the send worker reads the blocks where they are
      return await senders.run({ path: '', blockSize: bs, size: f.size, jobId: job.jobId, volumeIndex: job.volumeIndex, items, ...(out ? { out } : {}) });
    } finally {
      if (slab) readSlabs.give(slab);
    }
  }

  commit(pointId: number, save: () => void): Promise<void> {
    return this.serial(async () => {
      const f = this.frozen;
      if (!f) return save();
      // durable before the generation itself: a generation never points at a missing record
      this.records.write({ generation: pointId, bitmap: f.next, size: f.size, blockSize: this.vol.blockSize });
      save();
      this.frozen = null;
      this.records.keepOnly(pointId);
      const t = performance.now();
      await this.release(f, async (node) => {
        if (f.current) await node.removeBitmap(f.current);
      });
      const full = f.full ? { fileRanges: f.full.fileRanges, viewRanges: f.full.viewRanges, zeroBlocks: f.full.zeroBlocks } : {};
      this.o.log('info', `volume ${this.vol.name}: point-in-time view of point ${pointId} released in ${Math.round(performance.now() - t)} ms`, { volume: this.vol.name, point: pointId, releaseMs: Math.round(performance.now() - t), ...full });
    });
  }

  abandon(): Promise<void> {
    return this.serial(() => this.unfreeze());
  }

  /** Undo a freeze that was not committed: the current bitmap records again, with what the next one saw. */
  private async unfreeze(): Promise<void> {
    const f = this.frozen;
    this.frozen = null;
    if (!f) return;
    await this.release(f, async (node) => {
      if (f.current) await node.mergeBack(f.current, [f.next]);
      else await node.removeBitmap(f.next);
    });
  }

  /** End the point-in-time view, then settle the bitmaps; a failure is logged (the next connect cleans up). */
  private async release(f: Frozen, settle: (node: VolumeNode) => Promise<void>): Promise<void> {
    for (const slab of f.slabs) readSlabs.give(slab);
    f.slabs = [];
    FrozenFullReader.release();
    f.kept.clear();
    try {
      await f.nbd?.close();
      const node = this.node;
      if (!node || node.qmp.closed) return;
      await node.thaw();
      await settle(node);
      await node.prepareScratch(f.size);
    } catch (e) {
      this.o.log('warning', `volume ${this.vol.name}: cleaning up after the backup: ${(e as Error).message}`);
    }
  }

  /** The backlog from the bitmap itself: no data is read, and the hash lists are not needed. */
  live(): Promise<LiveBitmap | null> {
    return this.serial(async () => {
      if (this.frozen) return null;
      const { node, size, bs, blockCount, rec, bitmap } = await this.look();
      if (!rec || this.problem(rec, bitmap, size, node)) {
        return { blockCount, size, changed: Array.from({ length: blockCount }, (_, i) => i), incremental: false };
      }
      const extents = await node.peek(bitmap!.name, bs, async (exportName, context) => {
        const nbd = await NbdClient.connect(this.nbdAddress!, exportName, { metaContexts: [context] });
        try {
          return await nbd.blockStatus(context);
        } finally {
          await nbd.close();
        }
      });
      const changed: number[] = [];
      for (const r of blocksOf(extents, STATE_DIRTY, bs, size, false)) for (let i = r.first; i < r.first + r.count; i++) changed.push(i);
      return { blockCount, size, changed, incremental: true };
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.unfreeze();
      await this.node?.qmp.close();
      this.node = null;
      await this.daemon?.stop();
      this.daemon = null;
    });
  }
}

async function pauseForTest(volume: string): Promise<void> {
  if (!PAUSE_FILE || !fs.existsSync(PAUSE_FILE)) return;
  fs.writeFileSync(PAUSE_FILE, `frozen ${volume}\n`);
  while (fs.existsSync(PAUSE_FILE)) await new Promise((r) => setTimeout(r, 20));
}
