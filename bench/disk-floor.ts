// The disk's own durable write of a restore's data: what no durable restore of the same bytes
// to the same filesystem can beat. Random bytes (nothing for the device to skip), O_DIRECT writes
// into a sparse file, then an fsync — the way drc's restore writes, without the restore.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';

declare const WebAssembly: { Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer } };

/** page-aligned memory filled with random bytes (a WebAssembly memory is mapped on a page boundary), as O_DIRECT needs */
export function alignedRandom(n: number): Buffer {
  const pages = Math.ceil(n / 65536);
  const b = Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  for (let at = 0; at < b.length; at += 1 << 16) crypto.randomFillSync(b, at, Math.min(1 << 16, b.length - at));
  return b;
}

export const write = (fd: number, b: Buffer, pos: number): Promise<number> => new Promise((res, rej) => fs.write(fd, b, 0, b.length, pos, (e, n) => (e ? rej(e) : res(n))));
export const fsync = (fd: number): Promise<void> => new Promise((res, rej) => fs.fsync(fd, (e) => (e ? rej(e) : res())));

let pool: Buffer | null = null;

/**
 * Write `bytes` (rounded up to `size`) into a new sparse file (by default as a restore writes its
 * windows: 8 MiB, four in flight) at `file` with O_DIRECT, `size` bytes per write and `depth`
 * writes in flight, then fsync it; the file is removed after. `prealloc`: the file's blocks are
 * allocated first (fallocate). Returns seconds, the allocation included.
 */
export async function durableWrite(file: string, bytes: number, size = 8 << 20, depth = 4, prealloc = false): Promise<number> {
  if (!pool || pool.length < size * depth) pool = alignedRandom(Math.max(32 << 20, size * depth));
  const total = Math.ceil(bytes / size) * size;
  const t = performance.now();
  if (prealloc) spawnSync('fallocate', ['-l', String(total), file]);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | (prealloc ? 0 : fs.constants.O_EXCL) | fs.constants.O_DIRECT, 0o600);
  try {
    fs.ftruncateSync(fd, total);
    let next = 0;
    await Promise.all(
      Array.from({ length: depth }, async (_, k) => {
        const b = pool!.subarray(k * size, (k + 1) * size);
        for (let pos = next; pos < total; pos = next) {
          next += size;
          await write(fd, b, pos);
        }
      }),
    );
    await fsync(fd);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return (performance.now() - t) / 1000;
}
