// Runs one volume of a backup job on the agent: scan, bitmap, offer hashes, send only the
// blocks the hub lacks, end with the Merkle root, and advance the local generation only
// after the hub's commit ack.
import fs from 'node:fs';
import { FLAG_ZERO, OFFER_MAX_ENTRIES, decodeIndices, encodeOffer, type HubMessageOf } from '../src/protocol/agent.js';
import { ChangedBlockBitmap } from '../src/protocol/bitmap.js';
import { merkleRootPacked } from '../src/protocol/merkle.js';
import { canReadFull, uploadFullOnePass } from './full-upload.js';
import type { SendItem, SendResult } from './send-worker.js';
import type { AgentState } from './state.js';
import type { TrackerKind, VolumeTracker } from './trackers/tracker.js';

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
  if (!incremental && volumeBytes > 0 && canReadFull(tracker)) return uploadFullOnePass(link, job, vol, state, tracker, volumeBytes);
  link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'scan', doneBytes: 0, totalBytes: volumeBytes });
  const t0 = performance.now();
  const scan = await tracker.changedBlocks(incremental ? prev : null);
  const size = scan.size;
  const t1 = performance.now();
  const bitmap = bitmapOf(scan.blockCount, scan.changed);
  link.send({
    type: 'bitmap',
    jobId: job.jobId,
    volume: vol.name,
    blockSize: vol.blockSize,
    blockCount: scan.blockCount,
    size,
    dirtyCount: scan.changed.length,
    mode: incremental ? 'incremental' : 'full',
    bitmap: bitmap.bits.toString('base64'),
    time: Date.now(),
  });

  const sha = Buffer.alloc(scan.blockCount * 32);
  if (incremental) prev.sha.copy(sha, 0, 0, Math.min(prev.sha.length, sha.length));
  scan.changed.forEach((i, k) => scan.sha.copy(sha, i * 32, k * 32, k * 32 + 32));

  const totalBytes = scan.changed.length * vol.blockSize;
  let sent = 0;
  let lastProgress = 0;
  // three stages, each running ahead of the next: offers (OFFER_WINDOW replies awaited at a
  // time), read/check/compress in the worker threads (SEND_AHEAD tasks queued, so the workers
  // never wait for the sender), and sending frames in order here, with backpressure
  const tasks: Promise<SendResult>[] = [];
  let produced = false;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitSignal = (): Promise<void> => new Promise((r) => (wake = r));
  const dispatch = async (items: SendItem[]): Promise<void> => {
    while (tasks.length >= SEND_AHEAD) await waitSignal();
    const t = tracker.frames(items, { jobId: job.jobId, volumeIndex: job.volumeIndex });
    t.catch(() => undefined); // awaited in order by the sender; a failure there fails the job
    tasks.push(t);
    signal();
  };
  const produce = async (): Promise<void> => {
    try {
      const inflight: { seq: number; from: number; to: number; need: Promise<HubMessageOf<'need'>> }[] = [];
      let next = 0;
      while (next < scan.changed.length || inflight.length > 0) {
        while (next < scan.changed.length && inflight.length < OFFER_WINDOW) {
          const from = next;
          const to = Math.min(scan.changed.length, from + OFFER_BATCH);
          next = to;
          const seq = from / OFFER_BATCH;
          const need = link.expect('need', job.jobId, vol.name, seq);
          const entries: { index: number; flags: number; hash: Buffer }[] = [];
          for (let k = from; k < to; k++) entries.push({ index: scan.changed[k]!, flags: scan.zero[k] ? FLAG_ZERO : 0, hash: scan.sha.subarray(k * 32, k * 32 + 32) });
          link.send({ type: 'offer', jobId: job.jobId, volume: vol.name, seq, entries: encodeOffer(entries.slice(0, OFFER_MAX_ENTRIES)) });
          inflight.push({ seq, from, to, need });
        }
        const head = inflight.shift()!;
        const needed = new Set(decodeIndices((await head.need).indices));
        let items: SendItem[] = [];
        for (let k = head.from; k < head.to; k++) {
          const i = scan.changed[k]!;
          if (!needed.has(i)) continue;
          items.push({ index: i, xxh: new Uint8Array(scan.xxh.subarray(i * 8, i * 8 + 8)), sha: new Uint8Array(scan.sha.subarray(k * 32, k * 32 + 32)) });
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
  for (;;) {
    if (tasks.length === 0) {
      if (produced) break;
      await Promise.race([waitSignal(), producing]);
      continue;
    }
    const r = await tasks.shift()!;
    signal();
    for (const a of r.amended) Buffer.from(a.sha).copy(sha, a.index * 32);
    for (const f of r.frames) {
      await link.sendBinary(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      sent++;
    }
    const now = Date.now();
    if (now - lastProgress > 250) {
      lastProgress = now;
      link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'transfer', doneBytes: Math.min(totalBytes, sent * vol.blockSize), totalBytes });
    }
  }
  await producing;
  link.send({ type: 'progress', jobId: job.jobId, volume: vol.name, phase: 'transfer', doneBytes: totalBytes, totalBytes });
  const t2 = performance.now();
  const committed = link.expect('committed', job.jobId, vol.name);
  link.send({ type: 'end', jobId: job.jobId, volume: vol.name, blockCount: scan.blockCount, size, merkleRoot: merkleRootPacked(sha) });
  const ack = await committed;
  await tracker.commit(ack.pointId, () => state.save(vol.name, { generation: ack.pointId, blockSize: vol.blockSize, blockCount: scan.blockCount, size, xxh: scan.xxh, sha }));
  const t3 = performance.now();
  return { pointId: ack.pointId, changed: scan.changed.length, sent, bytesRead: scan.bytesRead, ms: { scan: Math.round(t1 - t0), transfer: Math.round(t2 - t1), commit: Math.round(t3 - t2) }, scanPhases: scan.phases };
}
