// A full backup of a volume in one pass over it (trackers that can, e.g. scan): every block
// is read once in a worker thread that hashes and frames it; the hashes of each range are
// offered as soon as it is read and the frames the hub asks for follow. Reading, offering and
// sending overlap, so the slowest of them sets the pace. Same messages as uploader.ts. Frames
// are built in shared slabs that are reused once the socket has written them: no buffer is
// allocated, transferred or garbage-collected per range.
import { FLAG_ZERO, OFFER_ENTRY_BYTES, decodeIndices, type HubMessageOf } from '../src/protocol/agent.js';
import { ChangedBlockBitmap } from '../src/protocol/bitmap.js';
import { merkleRootPacked } from '../src/protocol/merkle.js';
import { frameBound } from './block-frames.js';
import type { AgentState } from './state.js';
import type { FullResult } from './trackers/full-worker.js';
import { fullReaders } from './trackers/scan.js';
import { SlabPool } from './trackers/slab-pool.js';
import type { VolumeTracker } from './trackers/tracker.js';
import type { JobLink, UploadJob, UploadResult, VolumeSpec } from './uploader.js';

/** A tracker that reads a range of blocks, hashed and framed, in one pass. */
export interface OnePassReader {
  /** Fix what the full reads (a tracker with a point-in-time view freezes it now); returns the volume's size then. */
  beginFull?(): Promise<number>;
  /** Blocks start..end hashed, their frames written into `out` (shared memory, frameBound(blockSize) per block). */
  readFull(start: number, end: number, size: number, job: { jobId: number; volumeIndex: number }, out: Buffer): Promise<FullResult>;
  /** ranges to read ahead beyond READ_AHEAD: a reader that checks each range after its thread read it keeps the threads busy meanwhile */
  readonly extraReadAhead?: number;
}

/** blocks per range: one worker task and one offer (4 MiB at 64 KiB blocks) */
const RANGE_BLOCKS = 64;
/** ranges being read ahead of the one being offered: one per reader thread and one queued
 * behind them (more only holds memory: the agent's RSS during a full stays under 200 MB) */
const READ_AHEAD = fullReaders.size;
/** offers awaiting the hub's answer while earlier frames are sent */
const OFFER_WINDOW = 2;
/** the frame slabs of the ranges being read, offered and sent, kept mapped between jobs (64 KiB blocks: 8 MiB each) */
const frameSlabs = new SlabPool(RANGE_BLOCKS * frameBound(64 * 1024), READ_AHEAD + OFFER_WINDOW + 3);

/** A range's offer (encodeOffer's layout) written straight from its packed hashes: no object per block. */
function offerOfRange(r: FullResult, count: number): string {
  const buf = Buffer.allocUnsafe(count * OFFER_ENTRY_BYTES);
  for (let o = 0; o < count; o++) {
    const at = o * OFFER_ENTRY_BYTES;
    buf.writeUInt32LE(r.start + o, at);
    buf[at + 4] = r.zero[o] ? FLAG_ZERO : 0;
    buf.set(r.sha.subarray(o * 32, o * 32 + 32), at + 5);
  }
  return buf.toString('base64');
}

export function canReadFull(t: VolumeTracker): t is VolumeTracker & OnePassReader {
  return typeof (t as Partial<OnePassReader>).readFull === 'function';
}

export async function uploadFullOnePass(link: JobLink, job: UploadJob, vol: VolumeSpec, state: AgentState, tracker: VolumeTracker & OnePassReader, volumeBytes: number): Promise<UploadResult> {
  try {
    return await onePass(link, job, vol, state, tracker, volumeBytes);
  } finally {
    // fulls are rare: between them the agent keeps none of their slabs mapped
    frameSlabs.trim();
  }
}

async function onePass(link: JobLink, job: UploadJob, vol: VolumeSpec, state: AgentState, tracker: VolumeTracker & OnePassReader, volumeBytes: number): Promise<UploadResult> {
  const t0 = performance.now();
  const size = tracker.beginFull ? await tracker.beginFull() : volumeBytes;
  const bs = vol.blockSize;
  const blockCount = Math.ceil(size / bs);
  const all = new ChangedBlockBitmap(blockCount);
  for (let i = 0; i < blockCount; i++) all.set(i);
  link.send({ type: 'bitmap', jobId: job.jobId, volume: vol.name, blockSize: bs, blockCount, size, dirtyCount: blockCount, mode: 'full', bitmap: all.bits.toString('base64'), time: Date.now() });

  const xxh = Buffer.alloc(blockCount * 8);
  const sha = Buffer.alloc(blockCount * 32);
  const ranges: { start: number; end: number }[] = [];
  for (let s = 0; s < blockCount; s += RANGE_BLOCKS) ranges.push({ start: s, end: Math.min(blockCount, s + RANGE_BLOCKS) });
  const reads = new Map<number, { slab: Buffer; result: Promise<FullResult> }>();
  const readAt = (k: number): void => {
    if (k >= ranges.length || reads.has(k)) return;
    const { start, end } = ranges[k]!;
    const slab = frameSlabs.take((end - start) * frameBound(bs));
    const result = tracker.readFull(start, end, size, { jobId: job.jobId, volumeIndex: job.volumeIndex }, slab);
    result.catch(() => undefined); // awaited in order below
    reads.set(k, { slab, result });
  };
  const offered: { r: FullResult; slab: Buffer; need: Promise<HubMessageOf<'need'>> }[] = [];
  let sent = 0;
  let bytesRead = 0;
  let lastProgress = 0;
  const totalBytes = size;
  const sendNeeded = async (): Promise<void> => {
    const { r, slab, need } = offered.shift()!;
    const wanted = decodeIndices((await need).indices);
    if (wanted.length === 0) frameSlabs.give(slab);
    for (const [n, i] of wanted.entries()) {
      const o = i - r.start;
      if (o < 0 || o >= r.at.length - 1 || r.at[o] === r.at[o + 1]) throw new Error(`the hub asked for block ${i}, which was not offered with that range`);
      // the socket writes in order: once the range's last frame is out, its slab is free
      const last = n === wanted.length - 1;
      await link.sendBinary(slab.subarray(r.at[o]!, r.at[o + 1]!), last ? () => frameSlabs.give(slab) : undefined);
      sent++;
    }
    const now = Date.now();
    if (now - lastProgress > 250) {
      lastProgress = now;
      link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'transfer', doneBytes: Math.min(totalBytes, r.start * bs), totalBytes });
    }
  };
  const ahead = READ_AHEAD + (tracker.extraReadAhead ?? 0);
  for (let k = 0; k < ahead; k++) readAt(k);
  for (let k = 0; k < ranges.length; k++) {
    const { slab, result } = reads.get(k)!;
    const r = await result;
    reads.delete(k);
    readAt(k + ahead);
    bytesRead += r.bytesRead;
    const count = ranges[k]!.end - ranges[k]!.start;
    xxh.set(r.xxh, r.start * 8);
    sha.set(r.sha, r.start * 32);
    const need = link.expect('need', job.jobId, vol.name, k);
    need.catch(() => undefined); // awaited in order by sendNeeded; a failure there fails the job
    link.send({ type: 'offer', jobId: job.jobId, volume: vol.name, seq: k, entries: offerOfRange(r, count) });
    offered.push({ r, slab, need });
    if (offered.length > OFFER_WINDOW) await sendNeeded();
  }
  while (offered.length) await sendNeeded();
  link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'transfer', doneBytes: totalBytes, totalBytes });
  const t2 = performance.now();
  const committed = link.expect('committed', job.jobId, vol.name);
  link.send({ type: 'end', jobId: job.jobId, volume: vol.name, blockCount, size, merkleRoot: merkleRootPacked(sha) });
  const ack = await committed;
  await tracker.commit(ack.pointId, () => state.save(vol.name, { generation: ack.pointId, blockSize: bs, blockCount, size, xxh, sha }));
  const t3 = performance.now();
  return { pointId: ack.pointId, changed: blockCount, sent, bytesRead, ms: { scan: 0, transfer: Math.round(t2 - t0), commit: Math.round(t3 - t2) } };
}
