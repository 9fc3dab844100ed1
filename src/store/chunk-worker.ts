// Worker thread of the pack reader: reads one extent of a pack (several adjacent chunks) with
// one pread, opens (decrypts), decompresses and checks the sha256 of each chunk, then either
// writes the chunks into a restore target in runs of consecutive blocks (pwritev) or hands
// the decoded chunks back (NBD exports: into memory shared with the caller when it gives some,
// so no fresh buffer is faulted in per job). Times each phase so restores can show where time goes.
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
  /** write into this target (a restore); absent: return the decoded chunks */
  out?: { file: string; blockSize: number };
  /** decode into [offset, offset + the chunks' raw bytes) of this shared buffer instead of a returned one */
  into?: { buffer: SharedArrayBuffer; offset: number };
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
// iovecs per pwritev stay well below IOV_MAX
const MAX_IOV = 256;

function fdOf(map: Map<string, number>, file: string, flags: string): number {
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

function runExtent(j: ExtentJob): ExtentResult {
  const times: PhaseTimes = { read: 0, decompress: 0, verify: 0, write: 0 };
  let t = now();
  const stored = (readBuf = reuse(readBuf, j.length));
  let got: number;
  try {
    got = fs.readSync(fdOf(packFds, j.pack, 'r'), stored, 0, j.length, j.offset);
  } catch (e) {
    return { ok: false, chunk: 0, message: `pack ${j.pack} cannot be read (${(e as Error).message})`, times };
  }
  times.read += now() - t;
  const rawTotal = j.chunks.reduce((a, c) => a + c.rawLength, 0);
  // decoded chunks go to a fresh buffer handed back (decode) or to the reused arena (restore);
  // a plain raw chunk is written from the read buffer as it is
  const out: Buffer = j.out
    ? (arena = reuse(arena, rawTotal))
    : j.into
      ? Buffer.from(j.into.buffer, j.into.offset, rawTotal)
      : Buffer.allocUnsafeSlow(rawTotal); // its own ArrayBuffer, transferred
  const decoded: Buffer[] = [];
  let rawAt = 0;
  for (let k = 0; k < j.chunks.length; k++) {
    const c = j.chunks[k]!;
    const hash = j.hashes.subarray(k * 32, k * 32 + 32);
    if (c.at + c.length > got) return { ok: false, chunk: k, message: `pack ${j.pack} is truncated at offset ${j.offset + c.at}`, times };
    t = now();
    const slot = out.subarray(rawAt, rawAt + c.rawLength);
    rawAt += c.rawLength;
    let data: Buffer;
    try {
      const part = stored.subarray(c.at, c.at + c.length);
      const plain = j.key ? openSealed(j.key, part, hash) : part;
      if (c.codec === 1) {
        // a frame that decodes to more than the recorded length fails here, to less below
        data = slot.subarray(0, dctx.decompress(slot, plain));
      } else if (j.out && !j.key) data = plain;
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
  t = now();
  const written = writeRuns(j.out, j.chunks, decoded);
  times.write += now() - t;
  return { ok: true, written, times };
}

/** Write each decoded chunk to its blocks: consecutive blocks in one pwritev. */
function writeRuns(out: { file: string; blockSize: number }, chunks: ExtentChunk[], decoded: Buffer[]): number {
  const fd = fdOf(outFds, out.file, 'r+');
  const places: { block: number; data: Buffer }[] = [];
  chunks.forEach((c, k) => {
    for (const b of c.dests) places.push({ block: b, data: decoded[k]! });
  });
  places.sort((a, b) => a.block - b.block);
  let i = 0;
  while (i < places.length) {
    let n = 1;
    while (i + n < places.length && n < MAX_IOV && places[i + n]!.block === places[i + n - 1]!.block + 1) n++;
    const bufs = places.slice(i, i + n).map((p) => p.data);
    const want = bufs.reduce((a, b) => a + b.length, 0);
    writeAll(fd, bufs, want, places[i]!.block * out.blockSize);
    i += n;
  }
  return places.length;
}

/** pwritev all of `bufs` at `pos`: a short write (a filling disk) continues with the rest, so
 * the kernel's own error (ENOSPC, EIO) is what the restore reports. */
function writeAll(fd: number, bufs: Buffer[], want: number, pos: number): void {
  let put = fs.writevSync(fd, bufs, pos);
  while (put < want) {
    const rest = Buffer.concat(bufs).subarray(put);
    const n = fs.writeSync(fd, rest, 0, rest.length, pos + put);
    if (n === 0) throw new Error(`short write (${put} of ${want} bytes)`);
    put += n;
  }
}

parentPort?.on('message', (m: WorkerRequest) => {
  if ('close' in m) {
    const fd = outFds.get(m.close);
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* the restore already failed on this file; it is removed */
      }
      outFds.delete(m.close);
    }
    parentPort!.postMessage({ id: m.id, closed: m.close });
    return;
  }
  let result: ExtentResult;
  try {
    result = runExtent(m.job);
  } catch (e) {
    // the target failed (full, gone, read-only): chunk -1 says it is not the store's fault
    result = { ok: false, chunk: -1, message: `writing ${m.job.out?.file ?? 'the target'} failed: ${(e as Error).message}`, times: { read: 0, decompress: 0, verify: 0, write: 0 } };
  }
  parentPort!.postMessage({ id: m.id, result }, result.ok && result.data ? [result.data] : []);
});
