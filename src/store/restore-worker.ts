// Worker thread of a restore: rebuilds runs of blocks into 4 MiB buffers (decompress,
// verify each chunk's sha256) and writes each run with one pwrite into the target file.
import { createDecipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decompress } from 'zstd-napi';

export interface RestoreItem {
  index: number;
  pack: string;
  offset: number;
  length: number;
  codec: number;
  rawLength: number;
  hash: Uint8Array;
  /** the pack's key in an encrypted store: stored = nonce(12) || AES-256-GCM ciphertext || tag(16), the hash as AAD */
  key?: Uint8Array;
}

function openSealed(key: Uint8Array, sealed: Buffer, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(12, sealed.length - 16));
  d.final();
  return out;
}

export interface RestoreBatch {
  out: string;
  blockSize: number;
  start: number;
  /** total bytes this batch covers in the image */
  bytes: number;
  /** flush to disk as we go (a durable restore) */
  sync: boolean;
  items: RestoreItem[];
}

/** index -1: writing the target failed, not reading a chunk */
export type RestoreBatchResult = { ok: true; written: number } | { ok: false; index: number; message: string };

const packFds = new Map<string, number>();
const outFds = new Map<string, number>();
/** bytes written per target since this worker last flushed them to disk */
const unsynced = new Map<string, number>();
// flushing as we go overlaps the disk's writeback with the other workers' decompress and
// hash work, so the final fsync of a restore is short instead of the whole image
const SYNC_EVERY = 32 * 1024 * 1024;

function fdOf(map: Map<string, number>, file: string, flags: string): number {
  let fd = map.get(file);
  if (fd === undefined) {
    fd = fs.openSync(file, flags);
    map.set(file, fd);
  }
  return fd;
}

function restoreBatch(b: RestoreBatch): RestoreBatchResult {
  const buf = Buffer.alloc(b.bytes);
  const out = fdOf(outFds, b.out, 'r+');
  let runStart = -1;
  let runEnd = -1;
  let written = 0;
  const flush = (): void => {
    if (runStart < 0) return;
    fs.writeSync(out, buf, runStart, runEnd - runStart, b.start * b.blockSize + runStart);
    runStart = runEnd = -1;
  };
  for (const it of b.items) {
    const at = (it.index - b.start) * b.blockSize;
    let data: Buffer;
    try {
      const fd = fdOf(packFds, it.pack, 'r');
      const stored = Buffer.allocUnsafe(it.length);
      const got = fs.readSync(fd, stored, 0, it.length, it.offset);
      if (got !== it.length) return { ok: false, index: it.index, message: `pack ${it.pack} is truncated at offset ${it.offset}` };
      const plain = it.key ? openSealed(it.key, stored, it.hash) : stored;
      data = it.codec === 1 ? decompress(plain) : plain;
    } catch (e) {
      return { ok: false, index: it.index, message: `chunk at offset ${it.offset} of pack ${it.pack} is damaged (${(e as Error).message})` };
    }
    if (data.length !== it.rawLength || !createHash('sha256').update(data).digest().equals(Buffer.from(it.hash))) {
      return { ok: false, index: it.index, message: `chunk at offset ${it.offset} of pack ${it.pack} is damaged (hash mismatch)` };
    }
    data.copy(buf, at);
    written++;
    if (runStart >= 0 && runEnd !== at) flush();
    if (runStart < 0) runStart = at;
    runEnd = at + data.length;
  }
  flush();
  const pending = (unsynced.get(b.out) ?? 0) + b.bytes;
  if (b.sync && pending >= SYNC_EVERY) {
    fs.fdatasyncSync(out);
    unsynced.set(b.out, 0);
  } else unsynced.set(b.out, pending);
  return { ok: true, written };
}

parentPort?.on('message', (m: { id: number; batch: RestoreBatch } | { close: string }) => {
  if ('close' in m) {
    const fd = outFds.get(m.close);
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* the restore already failed on this file; it is removed */
      }
      outFds.delete(m.close);
      unsynced.delete(m.close);
    }
    parentPort!.postMessage({ closed: m.close });
    return;
  }
  let result: RestoreBatchResult;
  try {
    result = restoreBatch(m.batch);
  } catch (e) {
    // the target failed (full, gone, read-only): index -1 says it is not the store's fault
    result = { ok: false, index: -1, message: `writing ${m.batch.out} failed: ${(e as Error).message}` };
  }
  parentPort!.postMessage({ id: m.id, result });
});
