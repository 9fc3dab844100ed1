// Worker thread of the pack reader: reads one extent of a pack (several adjacent chunks) with
// one pread, opens (decrypts), decompresses and checks the sha256 of each chunk, then either
// puts each chunk at its blocks' places in a restore window (memory shared with the hub, which
// writes the window: direct-write.ts) or hands the decoded chunks back (NBD exports: into
// memory shared with the caller when it gives some, so no fresh buffer is faulted in per job).
// Times each phase so restores can show where time goes.
import { createDecipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import zstd from 'zstd-napi/binding.js';

/** One chunk inside an extent; `at` is its offset from the extent's start. */
export interface ExtentChunk {
  at: number;
  length: number;
  codec: number;
  rawLength: number;
  /** blocks of the image this chunk fills (restores) */
  dests: number[];
}

export interface ExtentJob {
  /** the pack's local file */
  pack: string;
  /** where the extent starts in the pack, and its length */
  offset: number;
  length: number;
  chunks: ExtentChunk[];
  /**
   * the chunks' sha256 one after the other, in a buffer of its own (a view into a bigger one
   * would be copied whole into the message)
   */
  hashes: Uint8Array;
  /** the pack's key in an encrypted store: stored = nonce(12) || AES-256-GCM ciphertext || tag(16), the hash as AAD */
  key?: Uint8Array;
  /** put each chunk at its blocks' places in this window (a restore); absent: return the decoded chunks */
  place?: WindowPlace;
  /** decode into [offset, offset + the chunks' raw bytes) of this shared buffer instead of a returned one */
  into?: { buffer: SharedArrayBuffer; offset: number };
}

/** Where a restore window lives: block `first` of the image at byte `at` of `buffer`. */
export interface WindowPlace {
  buffer: SharedArrayBuffer;
  at: number;
  first: number;
  blockSize: number;
}

/** Milliseconds a worker spent in each phase. */
export interface PhaseTimes {
  read: number;
  decompress: number;
  verify: number;
}

/** `data` holds the decoded chunks one after the other (decode jobs). */
export type ExtentResult =
  | { ok: true; times: PhaseTimes; data?: ArrayBuffer }
  | { ok: false; chunk: number; message: string; times: PhaseTimes };

/** a job, or (no job) the pool's warm-up ping */
export type WorkerRequest = { id: number; job?: ExtentJob };

function openSealed(key: Uint8Array, sealed: Buffer, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(12, sealed.length - 16));
  d.final();
  return out;
}

const packFds = new Map<string, number>();

function packFd(file: string): number {
  let fd = packFds.get(file);
  if (fd === undefined) {
    // a few packs stay open; a long-running hub must not collect descriptors
    if (packFds.size >= 64) closeAll(packFds);
    fd = fs.openSync(file, 'r');
    packFds.set(file, fd);
  }
  return fd;
}

function closeAll(map: Map<string, number>): void {
  for (const fd of map.values()) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already gone */
    }
  }
  map.clear();
}

const now = (): number => performance.now();

// per-thread buffer reused from job to job: fresh multi-MiB buffers cost a page fault per page
let readBuf: Buffer = Buffer.allocUnsafeSlow(0);
const dctx = new zstd.DCtx();

function reuse(buf: Buffer, n: number): Buffer {
  return buf.length >= n ? buf : Buffer.allocUnsafeSlow(Math.max(n, 4 << 20));
}

function decodeExtent(j: ExtentJob): ExtentResult {
  const times: PhaseTimes = { read: 0, decompress: 0, verify: 0 };
  let t = now();
  const place = j.place;
  const rawTotal = j.chunks.reduce((a, c) => a + c.rawLength, 0);
  // a restore's chunks go to their blocks' places in the window; decoded chunks of a decode job
  // one after the other, to a fresh buffer handed back or to the caller's shared memory
  const out: Buffer = place ? Buffer.from(place.buffer) : j.into ? Buffer.from(j.into.buffer, j.into.offset, rawTotal) : Buffer.allocUnsafeSlow(rawTotal); // its own ArrayBuffer, transferred
  const at = place ? (block: number) => place.at + (block - place.first) * place.blockSize : null;
  for (const c of j.chunks) if (at && c.rawLength > place!.blockSize) return { ok: false, chunk: j.chunks.indexOf(c), message: `the index gives a chunk of pack ${j.pack} more bytes than a block`, times };
  const stored = (readBuf = reuse(readBuf, j.length));
  // a restore from an unencrypted store (chunks to their places in the window) or a decode into
  // shared memory (an NBD export: one after the other): plain chunks are read straight there (no copy)
  let inPlace = (at !== null || j.into !== undefined) && !j.key;
  let got: number;
  try {
    const fd = packFd(j.pack);
    const parts = inPlace ? readParts(j, stored, out, at) : null;
    inPlace = parts !== null;
    got = parts ? fs.readvSync(fd, parts, j.offset) : fs.readSync(fd, stored, 0, j.length, j.offset);
  } catch (e) {
    return { ok: false, chunk: 0, message: `pack ${j.pack} cannot be read (${(e as Error).message})`, times };
  }
  times.read += now() - t;
  let rawAt = 0;
  for (let k = 0; k < j.chunks.length; k++) {
    const c = j.chunks[k]!;
    const hash = j.hashes.subarray(k * 32, k * 32 + 32);
    if (c.at + c.length > got) return { ok: false, chunk: k, message: `pack ${j.pack} is truncated at offset ${j.offset + c.at}`, times };
    t = now();
    const from = at ? at(c.dests[0]!) : rawAt;
    const slot = out.subarray(from, from + c.rawLength);
    rawAt += c.rawLength;
    let data: Buffer;
    try {
      const part = stored.subarray(c.at, c.at + c.length);
      const plain = j.key ? openSealed(j.key, part, hash) : part;
      if (c.codec === 1) {
        // a frame that decodes to more than the recorded length fails here, to less below
        data = slot.subarray(0, dctx.decompress(slot, plain));
      } else if (inPlace && readInPlace(c)) data = slot;
      else if (plain.length !== c.rawLength) data = plain; // fails the length check below
      else {
        plain.copy(slot);
        data = slot;
      }
    } catch (e) {
      return { ok: false, chunk: k, message: `chunk at offset ${j.offset + c.at} of pack ${j.pack} is damaged (${(e as Error).message})`, times };
    }
    const t2 = now();
    times.decompress += t2 - t;
    const good = data.length === c.rawLength && createHash('sha256').update(data).digest().equals(hash);
    times.verify += now() - t2;
    if (!good) return { ok: false, chunk: k, message: `chunk at offset ${j.offset + c.at} of pack ${j.pack} is damaged (hash mismatch)`, times };
    // the same content at more places of the window (blocks alike): copies of the checked bytes
    if (at) for (let d = 1; d < c.dests.length; d++) data.copy(out, at(c.dests[d]!));
  }
  if (place || j.into) return { ok: true, times };
  return { ok: true, times, data: out.buffer as ArrayBuffer };
}

const readInPlace = (c: ExtentChunk): boolean => c.codec !== 1 && c.length === c.rawLength;
// iovecs per preadv stay within IOV_MAX (libuv would cut the read short there)
const MAX_READ_IOV = 1024;

/**
 * The extent as iovecs for one preadv: each plain chunk into its place in `out` (its first
 * block's place when `place` is given, else one after the other, as an NBD export's shared
 * memory takes them), compressed chunks and the bytes between chunks into `stored` at their
 * offsets. null when that does not fit (too many pieces).
 */
function readParts(j: ExtentJob, stored: Buffer, out: Buffer, place: ((block: number) => number) | null): Buffer[] | null {
  const parts: Buffer[] = [];
  let at = 0;
  let rawAt = 0;
  for (const c of j.chunks) {
    if (c.at < at) return null; // not in offset order: read it whole
    if (c.at > at) parts.push(stored.subarray(at, c.at));
    const to = place ? place(c.dests[0]!) : rawAt;
    parts.push(readInPlace(c) ? out.subarray(to, to + c.length) : stored.subarray(c.at, c.at + c.length));
    at = c.at + c.length;
    rawAt += c.rawLength;
  }
  if (at < j.length) parts.push(stored.subarray(at, j.length));
  return parts.length <= MAX_READ_IOV ? parts : null;
}

parentPort?.on('message', (m: WorkerRequest) => {
  // no job: a ping from the pool's warm-up, answered once this module is loaded
  if (!m.job) return parentPort!.postMessage({ id: m.id, result: null });
  const result = decodeExtent(m.job);
  parentPort!.postMessage({ id: m.id, result }, result.ok && result.data ? [result.data] : []);
});
