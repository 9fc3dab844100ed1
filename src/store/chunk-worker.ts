// Worker thread of the pack reader: reads one extent of a pack (several adjacent chunks) with
// one pread, opens (decrypts), decompresses and checks the sha256 of each chunk, then either
// writes the chunks into a restore target in runs of consecutive blocks (pwritev) or hands
// the decoded chunks back (NBD exports: into memory shared with the caller when it gives some,
// so no fresh buffer is faulted in per job). Times each phase so restores can show where time goes.
import { createDecipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import zstd from 'zstd-napi/binding.js';
import { alignUp, alignedArena, directAligned, targetFlags } from './direct-write.js';

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
  /** write into this target (a restore); absent: return the decoded chunks */
  out?: RestoreTarget;
  /** decode into [offset, offset + the chunks' raw bytes) of this shared buffer instead of a returned one */
  into?: { buffer: SharedArrayBuffer; offset: number };
}

/** A restore's target file; `direct`: write aligned runs with O_DIRECT (a durable restore). */
export interface RestoreTarget {
  file: string;
  blockSize: number;
  direct?: boolean;
}

/** Milliseconds a worker spent in each phase. */
export interface PhaseTimes {
  read: number;
  decompress: number;
  verify: number;
  write: number;
}

/**
 * chunk -1: writing the target failed, not reading a chunk. `data` holds the decoded chunks
 * one after the other (decode jobs).
 */
export type ExtentResult =
  | { ok: true; written: number; times: PhaseTimes; data?: ArrayBuffer }
  | { ok: false; chunk: number; message: string; times: PhaseTimes };

export type WorkerRequest = { id: number; job: ExtentJob } | { id: number; close: string };

function openSealed(key: Uint8Array, sealed: Buffer, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(12, sealed.length - 16));
  d.final();
  return out;
}

const packFds = new Map<string, number>();
const outFds = new Map<string, number>();
const directFds = new Map<string, number>();
/** targets whose filesystem refused a direct write: the page cache from then on */
const notDirect = new Set<string>();
// iovecs per pwritev stay well below IOV_MAX
const MAX_IOV = 256;

function fdOf(map: Map<string, number>, file: string, flags: string | number): number {
  let fd = map.get(file);
  if (fd === undefined) {
    // a few packs stay open; a long-running hub must not collect descriptors
    if (map === packFds && map.size >= 64) closeAll(map);
    fd = fs.openSync(file, flags);
    map.set(file, fd);
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

// per-thread buffers reused from job to job: fresh multi-MiB buffers cost a page fault per page
let readBuf: Buffer = Buffer.allocUnsafeSlow(0);
let arena: Buffer = Buffer.allocUnsafeSlow(0);
const dctx = new zstd.DCtx();

function reuse(buf: Buffer, n: number): Buffer {
  return buf.length >= n ? buf : Buffer.allocUnsafeSlow(Math.max(n, 4 << 20));
}

/** what decoding an extent leaves for its write: the chunks' bytes, or the job's result already (a failure, a decode job) */
type Decoded = { ok: true; decoded: Buffer[]; times: PhaseTimes } | { ok: false; result: ExtentResult };

/** Read, decode and check the extent; a direct restore's chunks go to the aligned buffer `slot`. */
function decodeExtent(j: ExtentJob, slot: number): Decoded {
  const r = decodeInto(j, slot);
  return 'decoded' in r ? { ok: true, decoded: r.decoded, times: r.times } : { ok: false, result: r };
}

function decodeInto(j: ExtentJob, slot: number): ExtentResult | { decoded: Buffer[]; times: PhaseTimes } {
  const times: PhaseTimes = { read: 0, decompress: 0, verify: 0, write: 0 };
  let t = now();
  // a direct write needs every chunk at an aligned place of aligned memory
  const direct = j.out?.direct === true;
  const rawTotal = j.chunks.reduce((a, c) => a + (direct ? alignUp(c.rawLength) : c.rawLength), 0);
  // decoded chunks go to a fresh buffer handed back (decode) or to the reused arena (restore);
  // a plain raw chunk is written from the read buffer as it is
  const out: Buffer = j.out
    ? direct
      ? alignedArena(rawTotal, slot)
      : (arena = reuse(arena, rawTotal))
    : j.into
      ? Buffer.from(j.into.buffer, j.into.offset, rawTotal)
      : Buffer.allocUnsafeSlow(rawTotal); // its own ArrayBuffer, transferred
  const stored = (readBuf = reuse(readBuf, j.length));
  // direct (or into shared memory) and unencrypted: plain chunks are read straight into their
  // places (no copy)
  let inPlace = (direct || j.into !== undefined) && !j.key;
  let got: number;
  try {
    const fd = fdOf(packFds, j.pack, 'r');
    const parts = inPlace ? readParts(j, stored, out, direct) : null;
    inPlace = parts !== null;
    got = parts ? fs.readvSync(fd, parts, j.offset) : fs.readSync(fd, stored, 0, j.length, j.offset);
  } catch (e) {
    return { ok: false, chunk: 0, message: `pack ${j.pack} cannot be read (${(e as Error).message})`, times };
  }
  times.read += now() - t;
  const decoded: Buffer[] = [];
  let rawAt = 0;
  for (let k = 0; k < j.chunks.length; k++) {
    const c = j.chunks[k]!;
    const hash = j.hashes.subarray(k * 32, k * 32 + 32);
    if (c.at + c.length > got) return { ok: false, chunk: k, message: `pack ${j.pack} is truncated at offset ${j.offset + c.at}`, times };
    t = now();
    const slot = out.subarray(rawAt, rawAt + c.rawLength);
    rawAt += direct ? alignUp(c.rawLength) : c.rawLength;
    let data: Buffer;
    try {
      const part = stored.subarray(c.at, c.at + c.length);
      const plain = j.key ? openSealed(j.key, part, hash) : part;
      if (c.codec === 1) {
        // a frame that decodes to more than the recorded length fails here, to less below
        data = slot.subarray(0, dctx.decompress(slot, plain));
      } else if (inPlace && readInPlace(c)) data = slot;
      else if (j.out && !j.key && !direct) data = plain;
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
    decoded.push(data);
  }
  if (j.into) return { ok: true, written: 0, times };
  if (!j.out) return { ok: true, written: 0, times, data: out.buffer as ArrayBuffer };
  return { decoded, times };
}

const readInPlace = (c: ExtentChunk): boolean => c.codec !== 1 && c.length === c.rawLength;
// iovecs per preadv stay within IOV_MAX (libuv would cut the read short there)
const MAX_READ_IOV = 1024;

/**
 * The extent as iovecs for one preadv: each plain chunk into its place in `out` (laid out as
 * runExtent lays out a direct restore's chunks when `aligned`, else one after the other, as an
 * NBD export's shared memory takes them), compressed chunks and the bytes between chunks
 * into `stored` at their offsets. null when that does not fit (too many pieces).
 */
function readParts(j: ExtentJob, stored: Buffer, out: Buffer, aligned: boolean): Buffer[] | null {
  const parts: Buffer[] = [];
  let at = 0;
  let rawAt = 0;
  for (const c of j.chunks) {
    if (c.at < at) return null; // not in offset order: read it whole
    if (c.at > at) parts.push(stored.subarray(at, c.at));
    parts.push(readInPlace(c) ? out.subarray(rawAt, rawAt + c.length) : stored.subarray(c.at, c.at + c.length));
    at = c.at + c.length;
    rawAt += aligned ? alignUp(c.rawLength) : c.rawLength;
  }
  if (at < j.length) parts.push(stored.subarray(at, j.length));
  return parts.length <= MAX_READ_IOV ? parts : null;
}

interface Run {
  pos: number;
  bufs: Buffer[];
  want: number;
}

/** Each decoded chunk's places in the target: consecutive blocks in one run (one pwritev). */
function runsOf(out: RestoreTarget, chunks: ExtentChunk[], decoded: Buffer[]): { runs: Run[]; blocks: number } {
  const places: { block: number; data: Buffer }[] = [];
  chunks.forEach((c, k) => {
    for (const b of c.dests) places.push({ block: b, data: decoded[k]! });
  });
  places.sort((a, b) => a.block - b.block);
  const runs: Run[] = [];
  let i = 0;
  while (i < places.length) {
    let n = 1;
    while (i + n < places.length && n < MAX_IOV && places[i + n]!.block === places[i + n - 1]!.block + 1) n++;
    const bufs = places.slice(i, i + n).map((p) => p.data);
    runs.push({ pos: places[i]!.block * out.blockSize, bufs, want: bufs.reduce((a, b) => a + b.length, 0) });
    i += n;
  }
  return { runs, blocks: places.length };
}

/** Write the runs through the page cache, one after the other. */
function writeRuns(out: RestoreTarget, chunks: ExtentChunk[], decoded: Buffer[]): number {
  const fd = fdOf(outFds, out.file, 'r+');
  const { runs, blocks } = runsOf(out, chunks, decoded);
  for (const r of runs) writeAll(fd, r.bufs, r.want, r.pos);
  return blocks;
}

const writevAsync = (fd: number, bufs: Buffer[], pos: number): Promise<number> =>
  new Promise((resolve, reject) => fs.writev(fd, bufs, pos, (e, n) => (e ? reject(e) : resolve(n))));

/**
 * Write the runs with O_DIRECT off this thread (libuv's pool), so the worker decodes its next
 * extent meanwhile; what is not aligned (the image's partial last block), or a filesystem that
 * refuses direct writes, goes through the page cache.
 */
async function writeRunsDirect(out: RestoreTarget, chunks: ExtentChunk[], decoded: Buffer[]): Promise<number> {
  const buffered = fdOf(outFds, out.file, 'r+');
  const { runs, blocks } = runsOf(out, chunks, decoded);
  for (const r of runs) {
    let put = 0;
    if (!notDirect.has(out.file) && directAligned(r.bufs, r.pos)) {
      try {
        put = await writevAsync(fdOf(directFds, out.file, targetFlags(true)), r.bufs, r.pos);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        notDirect.add(out.file);
      }
    }
    writeAll(buffered, r.bufs, r.want, r.pos, put);
  }
  return blocks;
}

/** pwritev all of `bufs` at `pos` (`put` bytes of them already written): a short write (a
 * filling disk) continues with the rest, so the kernel's own error (ENOSPC, EIO) is what the
 * restore reports. */
function writeAll(fd: number, bufs: Buffer[], want: number, pos: number, put = fs.writevSync(fd, bufs, pos)): void {
  while (put < want) {
    const rest = Buffer.concat(bufs).subarray(put);
    const n = fs.writeSync(fd, rest, 0, rest.length, pos + put);
    if (n === 0) throw new Error(`short write (${put} of ${want} bytes)`);
    put += n;
  }
}

parentPort?.on('message', (m: WorkerRequest) => {
  if ('close' in m) {
    for (const fds of [outFds, directFds]) {
      const fd = fds.get(m.close);
      if (fd === undefined) continue;
      try {
        fs.closeSync(fd);
      } catch {
        /* the restore already failed on this file; it is removed */
      }
      fds.delete(m.close);
    }
    notDirect.delete(m.close);
    parentPort!.postMessage({ id: m.id, closed: m.close });
    return;
  }
  void runJob(m.job).then((result) => parentPort!.postMessage({ id: m.id, result }, result.ok && result.data ? [result.data] : []));
});

/** the direct write buffers a write is still using */
const writing = new Set<number>();

async function runJob(job: ExtentJob): Promise<ExtentResult> {
  const direct = job.out?.direct === true;
  // two jobs at most are here at once (chunk-pool.ts): one slot is free
  const slot = direct ? [0, 1, 2].find((k) => !writing.has(k))! : 0;
  try {
    const d = decodeExtent(job, slot);
    if (!d.ok) return d.result;
    const t = now();
    let written: number;
    if (direct) {
      writing.add(slot);
      try {
        written = await writeRunsDirect(job.out!, job.chunks, d.decoded);
      } finally {
        writing.delete(slot);
      }
    } else written = writeRuns(job.out!, job.chunks, d.decoded);
    d.times.write += now() - t;
    return { ok: true, written, times: d.times };
  } catch (e) {
    // the target failed (full, gone, read-only): chunk -1 says it is not the store's fault
    return { ok: false, chunk: -1, message: `writing ${job.out?.file ?? 'the target'} failed: ${(e as Error).message}`, times: { read: 0, decompress: 0, verify: 0, write: 0 } };
  }
}
