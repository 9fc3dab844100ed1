// Runs one volume of a backup job on the agent: scan, bitmap, offer hashes, send only the
// blocks the hub lacks, end with the Merkle root, and advance the local generation only
// after the hub's commit ack.
import fs from 'node:fs';
import { FLAG_ZERO, OFFER_MAX_ENTRIES, decodeIndices, encodeOffer, type HubMessageOf } from '../src/protocol/agent.js';
import { ChangedBlockBitmap } from '../src/protocol/bitmap.js';
import { merkleRootPacked } from '../src/protocol/merkle.js';
import { canReadFull, uploadFullOnePass } from './full-upload.js';
import { frameBound } from './block-frames.js';
import type { SendItem, SendResult } from './send-worker.js';
import { SlabPool } from './trackers/slab-pool.js';
import type { AgentState } from './state.js';
import type { ChangedBlocks, ChangedRange, TrackerKind, VolumeTracker } from './trackers/tracker.js';

export interface JobLink {
  send(msg: object): void;
  /** send a binary frame; resolves once the link has room for more. `written`: called once the socket has written it (or failed), so its memory may be reused */
  sendBinary(buf: Buffer, written?: () => void): Promise<void>;
  /** resolves with the next message of this type for this job and volume */
  expect<T extends 'need' | 'committed'>(type: T, jobId: number, volume: string, seq?: number): Promise<HubMessageOf<T>>;
}

export interface VolumeSpec {
  name: string;
  path: string;
  blockSize: number;
  /** default scan */
  tracker?: TrackerKind;
  /** qemu-dirty-bitmap: QMP socket and NBD server of an existing qemu-storage-daemon (else the agent runs one) */
  qmp?: string | null;
  nbd?: string | null;
}

const OFFER_BATCH = 1024;
const OFFER_WINDOW = 4;
const SEND_TASK_BLOCKS = 64;
/** compress tasks queued ahead of the sender (64 blocks each: at most 32 MiB of frames) */
const SEND_AHEAD = 8;

/**
 * The incremental's frames are written into shared slabs kept between jobs (one pool per block
 * size): a fresh buffer per task cost a page fault per 4 KiB in the send threads (~0.3 CPU-s
 * per 100 MiB sent on the bench machine). A full does not use them and lets them go.
 */
const sendPools = new Map<number, SlabPool>();
function sendSlabs(blockSize: number): SlabPool {
  let p = sendPools.get(blockSize);
  if (!p) sendPools.set(blockSize, (p = new SlabPool(SEND_TASK_BLOCKS * frameBound(blockSize), SEND_AHEAD + 4, false)));
  return p;
}

export function volumeSize(p: string): number {
  return fs.statSync(p).size;
}

export function bitmapOf(blockCount: number, changed: number[]): ChangedBlockBitmap {
  const b = new ChangedBlockBitmap(blockCount);
  for (const i of changed) b.set(i);
  return b;
}

export interface UploadResult {
  pointId: number;
  changed: number;
  sent: number;
  /** bytes the tracker read from the source */
  bytesRead: number;
  ms: { scan: number; transfer: number; commit: number };
  /** the tracker's steps within `scan`, when it reports them */
  scanPhases?: Record<string, number>;
}

/** The hub's job, as one volume's upload needs it. */
export interface UploadJob {
  jobId: number;
  full: boolean;
  volumeIndex: number;
  basePointId: number | null;
}

export async function uploadVolume(
  link: JobLink,
  job: UploadJob,
  vol: VolumeSpec,
  state: AgentState,
  tracker: VolumeTracker,
): Promise<UploadResult> {
  let done = false;
  try {
    const r = await uploadTracked(link, job, vol, state, tracker);
    done = true;
    return r;
  } finally {
    // the tracker logs its own trouble here; the job's error is the one to report
    if (!done) await tracker.abandon().catch(() => undefined);
  }
}

async function uploadTracked(
  link: JobLink,
  job: UploadJob,
  vol: VolumeSpec,
  state: AgentState,
  tracker: VolumeTracker,
): Promise<UploadResult> {
  const prev = state.load(vol.name);
  const incremental = !job.full && prev !== null && prev.generation === job.basePointId && prev.blockSize === vol.blockSize;
  const volumeBytes = await tracker.size();
  // a full reads every block anyway: in one pass when the tracker can (full-upload.ts)
  if (!incremental && volumeBytes > 0 && canReadFull(tracker)) {
    // the full's own slabs take the memory (its RSS stays under 200 MB)
    for (const p of sendPools.values()) p.trim();
    return uploadFullOnePass(link, job, vol, state, tracker, volumeBytes);
  }
  link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'scan', doneBytes: 0, totalBytes: volumeBytes });
  const t0 = performance.now();
  // the changed blocks are offered and sent while the tracker still looks for more: a tracker
  // that scans hands over each range as it is done, one that does not everything at its end
  let scan: ChangedBlocks | null = null;
  let scanError: Error | null = null;
  let t1 = 0;
  let geometry: { blockCount: number; size: number } | null = null;
  let sha: Buffer | null = null;
  /** changed blocks found so far, in order; offered up to `offered` */
  const found: { index: number; flags: number; hash: Buffer; xxh: Uint8Array }[] = [];
  let offered = 0;
  let lastProgress = 0;
  let sent = 0;
  /** offers awaiting their answer, and frames asked for but not sent yet: while any, the job is transferring */
  let offersOut = 0;
  let framesDue = 0;
  /**
   * Progress while the scan and the transfer overlap: `transfer` (frames sent) while blocks
   * are on their way, so the hub's watchdog sees a transfer that stops; `scan` (bytes
   * scanned) while nothing is, as a scan without sends always reported.
   */
  let scannedBytes = 0;
  let reported: 'scan' | 'transfer' = 'scan';
  const progress = (): void => {
    const done = scan as ChangedBlocks | null;
    const phase = offersOut > 0 || framesDue > 0 || done ? 'transfer' : 'scan';
    const now = Date.now();
    // a change of phase is told at once: the watchdog leaves a scan alone, not a transfer
    if (phase === reported && now - lastProgress <= 250) return;
    lastProgress = now;
    reported = phase;
    if (phase === 'transfer') {
      const total = (done ? done.changed.length : found.length) * vol.blockSize;
      link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase, doneBytes: Math.min(total, sent * vol.blockSize), totalBytes: total });
    } else {
      link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase, doneBytes: scannedBytes, totalBytes: geometry ? (geometry as { size: number }).size : volumeBytes });
    }
  };
  // the scan, the offers and the sender each wait for the others' news; every wait re-checks its condition
  let wakers: (() => void)[] = [];
  const signal = (): void => {
    const w = wakers;
    wakers = [];
    for (const f of w) f();
  };
  const waitSignal = (): Promise<void> => new Promise((r) => wakers.push(r));
  let over = false;
  const take = (r: ChangedRange): void => {
    if (over) return; // the upload failed while the scan went on
    if (!sha) {
      geometry = { blockCount: r.blockCount, size: r.size };
      sha = Buffer.alloc(r.blockCount * 32);
      if (incremental) prev.sha.copy(sha, 0, 0, Math.min(prev.sha.length, sha.length));
    }
    const shas = Buffer.from(r.sha.buffer, r.sha.byteOffset, r.sha.byteLength);
    for (let k = 0; k < r.changed.length; k++) {
      const i = r.changed[k]!;
      shas.copy(sha, i * 32, k * 32, k * 32 + 32);
      const o = (i - r.start) * 8;
      found.push({ index: i, flags: r.zero[k] ? FLAG_ZERO : 0, hash: shas.subarray(k * 32, k * 32 + 32), xxh: r.xxh.subarray(o, o + 8) });
    }
    scannedBytes = Math.min(r.size, r.end * vol.blockSize);
    progress();
    signal();
  };
  let streamed = false;
  const scanning = tracker
    .changedBlocks(incremental ? prev : null, (r) => {
      streamed = true;
      take(r);
    })
    .then(
      (r) => {
        t1 = performance.now();
        if (!streamed) take({ start: 0, end: r.blockCount, xxh: r.xxh, changed: r.changed, zero: r.zero, sha: r.sha, blockCount: r.blockCount, size: r.size });
        scan = r;
        signal();
      },
      (e: unknown) => {
        scanError = e instanceof Error ? e : new Error(String(e));
        signal();
      },
    );
  // the job's bitmap goes before the first offer: the changed blocks when the scan is over;
  // while it still runs, no block yet (the hub only needs the volume's geometry and mode)
  let bitmapSent = false;
  let scanningBitmap = false;
  const sendBitmap = (): void => {
    if (bitmapSent) return;
    bitmapSent = true;
    const g = geometry!;
    const done = scan as ChangedBlocks | null;
    const bits = done ? bitmapOf(g.blockCount, done.changed) : new ChangedBlockBitmap(g.blockCount);
    link.send({
      type: 'bitmap',
      jobId: job.jobId,
      volume: vol.name,
      blockSize: vol.blockSize,
      blockCount: g.blockCount,
      size: g.size,
      dirtyCount: done ? done.changed.length : 0,
      mode: incremental ? 'incremental' : 'full',
      bitmap: bits.bits.toString('base64'),
      time: Date.now(),
      ...(done ? {} : { scanning: true }),
    });
    scanningBitmap = !done;
  };

  // four stages, each running ahead of the next: the scan, offers (OFFER_WINDOW replies
  // awaited at a time), read/check/compress in the worker threads (SEND_AHEAD tasks queued,
  // so the workers never wait for the sender), and sending frames in order here, with backpressure
  const tasks: Promise<SendResult>[] = [];
  /** blocks asked of each task in `tasks` */
  const taskItems: number[] = [];
  /** the shared slab each task in `tasks` frames into, back to the pool once its last frame is written */
  const taskSlabs: Buffer[] = [];
  const slabs = sendSlabs(vol.blockSize);
  let produced = false;
  const dispatch = async (items: SendItem[]): Promise<void> => {
    while (tasks.length >= SEND_AHEAD) await waitSignal();
    const slab = slabs.take();
    const t = tracker.frames(items, { jobId: job.jobId, volumeIndex: job.volumeIndex }, slab);
    t.catch(() => undefined); // awaited in order by the sender; a failure there fails the job
    framesDue += items.length;
    tasks.push(t);
    taskItems.push(items.length);
    taskSlabs.push(slab);
    signal();
  };
  const produce = async (): Promise<void> => {
    try {
      const inflight: { batch: typeof found; need: Promise<HubMessageOf<'need'>> }[] = [];
      let seq = 0;
      for (;;) {
        if (scanError) throw scanError;
        const scanDone = scan !== null;
        // a full batch at once; a shorter one when the scan is over or no offer is on its way
        while (inflight.length < OFFER_WINDOW && found.length > offered && (found.length - offered >= OFFER_BATCH || scanDone || inflight.length === 0)) {
          sendBitmap();
          const batch = found.slice(offered, offered + OFFER_BATCH);
          offered += batch.length;
          offersOut++;
          progress();
          const need = link.expect('need', job.jobId, vol.name, seq);
          link.send({ type: 'offer', jobId: job.jobId, volume: vol.name, seq, entries: encodeOffer(batch.slice(0, OFFER_MAX_ENTRIES)) });
          seq++;
          inflight.push({ batch, need });
        }
        if (inflight.length === 0) {
          if (scanDone && offered === found.length) break;
          await waitSignal();
          continue;
        }
        const head = inflight.shift()!;
        const needed = new Set(decodeIndices((await head.need).indices));
        offersOut--;
        let items: SendItem[] = [];
        for (const e of head.batch) {
          if (!needed.has(e.index)) continue;
          items.push({ index: e.index, xxh: new Uint8Array(e.xxh), sha: new Uint8Array(e.hash) });
          if (items.length === SEND_TASK_BLOCKS) {
            await dispatch(items);
            items = [];
          }
        }
        if (items.length) await dispatch(items);
      }
    } finally {
      produced = true;
      signal();
    }
  };
  const producing = produce();
  producing.catch(() => undefined);
  try {
    for (;;) {
      if (tasks.length === 0) {
        if (produced) break;
        await Promise.race([waitSignal(), producing]);
        continue;
      }
      const r = await tasks.shift()!;
      const slab = taskSlabs.shift()!;
      signal();
      for (const a of r.amended) Buffer.from(a.sha).copy(sha!, a.index * 32);
      for (let k = 0; k < r.frames.length; k++) {
        const f = r.frames[k]!;
        // the slab is framed into again only once the socket has written its last frame
        // (frames in shared memory are in this task's slab: a worker's own buffer is not shared)
        const last = k === r.frames.length - 1 && f.buffer instanceof SharedArrayBuffer;
        await link.sendBinary(Buffer.from(f.buffer, f.byteOffset, f.byteLength), last ? () => slabs.give(slab) : undefined);
        sent++;
      }
      if (!r.frames.some((f) => f.buffer instanceof SharedArrayBuffer)) slabs.give(slab);
      framesDue -= taskItems.shift()!;
      progress();
    }
    await producing;
  } catch (e) {
    // nothing of this job may reach the hub after its failure: the scan's last ranges are dropped
    over = true;
    await scanning;
    throw e;
  }
  await scanning;
  const done = scan as ChangedBlocks | null;
  const shaAll = sha as Buffer | null;
  if (!done || !shaAll) throw scanError ?? new Error('the scan ended without a result');
  const size = done.size;
  sendBitmap();
  // the job's bitmap went out before the scan was over: the changed blocks follow as the volume's live bitmap (the cockpit's heatmap, the hub's change rate)
  if (scanningBitmap) {
    link.send({ type: 'bitmap', volume: vol.name, blockSize: vol.blockSize, blockCount: done.blockCount, size, dirtyCount: done.changed.length, mode: incremental ? 'incremental' : 'full', bitmap: bitmapOf(done.blockCount, done.changed).bits.toString('base64'), time: Date.now() });
  }
  const totalBytes = done.changed.length * vol.blockSize;
  link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'transfer', doneBytes: totalBytes, totalBytes });
  const t2 = performance.now();
  const committed = link.expect('committed', job.jobId, vol.name);
  link.send({ type: 'end', jobId: job.jobId, volume: vol.name, blockCount: done.blockCount, size, merkleRoot: merkleRootPacked(shaAll) });
  const ack = await committed;
  await tracker.commit(ack.pointId, () => state.save(vol.name, { generation: ack.pointId, blockSize: vol.blockSize, blockCount: done.blockCount, size, xxh: done.xxh, sha: shaAll }));
  const t3 = performance.now();
  return { pointId: ack.pointId, changed: done.changed.length, sent, bytesRead: done.bytesRead, ms: { scan: Math.round(t1 - t0), transfer: Math.round(t2 - t1), commit: Math.round(t3 - t2) }, scanPhases: done.phases };
}
