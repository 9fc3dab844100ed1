// Direct (O_DIRECT) writes of a durable restore, used by the pack-reader workers: the blocks go
// from the worker's memory to the disk without a copy into the page cache, and the final fsync
// has no gigabytes of dirty pages left to write back. O_DIRECT needs the memory, the file
// offset and the length aligned; a run that is not (the image's partial last block), or a
// filesystem that refuses direct writes, is written through the page cache instead.
import fs from 'node:fs';

/** alignment of memory, offsets and lengths of a direct write (the usual logical block size) */
export const DIRECT_ALIGN = 4096;

const WASM_PAGE = 64 << 10;
// the part of the WebAssembly global used here (the project's lib has no DOM/wasm types)
declare const WebAssembly: { Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer } };

/** round up to the direct-write alignment */
export function alignUp(n: number): number {
  return Math.ceil(n / DIRECT_ALIGN) * DIRECT_ALIGN;
}

const aligned: Buffer[] = [];

/**
 * A reused buffer of at least n bytes whose start is page-aligned: a WebAssembly memory is
 * mapped on a page boundary, while a Buffer's malloc'd memory is not. `slot` picks one of a
 * few such buffers (one written to the disk while the next is filled).
 */
export function alignedArena(n: number, slot = 0): Buffer {
  const had = aligned[slot];
  if (had && had.length >= n) return had;
  const pages = Math.ceil(Math.max(n, 4 << 20) / WASM_PAGE);
  const b = Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  aligned[slot] = b;
  return b;
}

/** Whether the target's filesystem accepts O_DIRECT (tmpfs on older kernels, some FUSE mounts do not). */
export function directWritable(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

/** whether a run of buffers at `pos` can be written with O_DIRECT */
export function directAligned(bufs: Buffer[], pos: number): boolean {
  if (pos % DIRECT_ALIGN !== 0) return false;
  // only the arena's memory is known to be aligned
  for (const b of bufs) if (!aligned.some((a) => a.buffer === b.buffer) || b.length % DIRECT_ALIGN !== 0 || b.byteOffset % DIRECT_ALIGN !== 0) return false;
  return true;
}

/** open flags of a restore target's descriptor in a worker */
export function targetFlags(direct: boolean): number {
  return fs.constants.O_RDWR | (direct ? fs.constants.O_DIRECT : 0);
}
