// How a restore puts its blocks on the disk: the image is cut into windows of consecutive
// blocks; the pack-reader workers decode each window's blocks straight into their places in a
// slot of memory shared with the hub, and once a window is complete the hub writes its runs of
// data blocks (zero blocks stay holes) with O_DIRECT, in image order: few, large, sequential
// writes that skip the page cache, so the final fsync has nothing left to write back. O_DIRECT
// needs the memory, the file offset and the length aligned: a WebAssembly memory is mapped on
// a page boundary (a Buffer's malloc'd memory is not); what is not aligned (the image's partial
// last block), or a filesystem that refuses direct writes, goes through the page cache.
import fs from 'node:fs';

/** alignment of memory, offsets and lengths of a direct write (the usual logical block size) */
export const DIRECT_ALIGN = 4096;

const WASM_PAGE = 64 << 10;
// the part of the WebAssembly global used here (the project's lib has no DOM/wasm types)
declare const WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer } };

/** Slots of page-aligned memory shared with the workers, one window of the image each. */
export class WindowRing {
  readonly memory: SharedArrayBuffer;
  readonly slotBytes: number;
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];

  constructor(
    readonly slots: number,
    windowBytes: number,
  ) {
    this.slotBytes = Math.ceil(windowBytes / WASM_PAGE) * WASM_PAGE;
    const pages = (this.slotBytes / WASM_PAGE) * slots;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer as SharedArrayBuffer;
    this.free = Array.from({ length: slots }, (_, k) => k);
  }

  /** a free slot, first come first served */
  acquire(): Promise<number> {
    const s = this.free.shift();
    return s !== undefined ? Promise.resolve(s) : new Promise((r) => this.waiting.push(r));
  }

  release(slot: number): void {
    const w = this.waiting.shift();
    if (w) w(slot);
    else this.free.push(slot);
  }

  /** whether no slot is taken (the ring can serve the next restore) */
  get idle(): boolean {
    return this.free.length === this.slots;
  }

  /** `length` bytes at `at` of a slot */
  view(slot: number, at: number, length: number): Buffer {
    return Buffer.from(this.memory, slot * this.slotBytes + at, length);
  }
}

// Rings are kept for the next restores. A dropped ring's memory goes back to the system only when
// every isolate that held a handle to it has collected it, and the hub lets its heap grow to four
// times its live size between full collections (hub/heap-growth.ts): a ring dropped 3 s after
// each restore stayed, and a hub's RSS rose ~37 MB per restore (160 -> 403 MB after six). Kept,
// one ring serves restores one after another; only restores beyond SPARE_RINGS at once make
// rings that are dropped (and collected when the pack-reader workers stop, chunk-pool.ts). A
// ring with a slot still taken (a failed restore's write in flight) is not kept.
const spare: WindowRing[] = [];
/** at most this many idle rings are kept (restores running at once beyond it make new ones) */
const SPARE_RINGS = 2;

/** A ring of `slots` windows of `windowBytes`: a spare one when there is one. */
export function takeRing(slots: number, windowBytes: number): WindowRing {
  const k = spare.findIndex((r) => r.slots === slots && r.slotBytes >= windowBytes);
  return k >= 0 ? spare.splice(k, 1)[0]! : new WindowRing(slots, windowBytes);
}

/** A restore is done with its ring (one with a slot still taken, after a failure, is dropped). */
export function giveRing(r: WindowRing): void {
  if (!r.idle || spare.includes(r)) return;
  spare.push(r);
  // the newest rings stay; an older one goes (rings of other sizes are rare: one window size)
  if (spare.length > SPARE_RINGS) spare.shift();
}

/** idle rings kept for the next restores (tests) */
export function spareRings(): number {
  return spare.length;
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

const writeAsync = (fd: number, b: Buffer, pos: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, b, 0, b.length, pos, (e, n) => (e ? reject(e) : resolve(n))));

/** Writes runs of a restore target: aligned ones with O_DIRECT when asked, the rest through `fd`. */
export class TargetWriter {
  private directFd: number | null;

  constructor(
    file: string,
    private readonly fd: number,
    direct: boolean,
  ) {
    this.directFd = direct ? fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_DIRECT) : null;
  }

  /** write all of `data` (a view of a ring slot) at `pos` */
  async write(data: Buffer, pos: number): Promise<void> {
    let put = 0;
    if (this.directFd !== null && pos % DIRECT_ALIGN === 0 && data.byteOffset % DIRECT_ALIGN === 0) {
      const n = data.length - (data.length % DIRECT_ALIGN);
      try {
        if (n > 0) put = await writeAll(this.directFd, data.subarray(0, n), pos);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.closeDirect(); // the filesystem refuses direct writes: the page cache from now on
      }
    }
    if (put < data.length) await writeAll(this.fd, data.subarray(put), pos + put);
  }

  closeDirect(): void {
    if (this.directFd === null) return;
    try {
      fs.closeSync(this.directFd);
    } catch {
      /* already gone */
    }
    this.directFd = null;
  }
}

/** Write all of `data` at `pos`: a short write (a filling disk) continues with the rest, so the
 * kernel's own error (ENOSPC, EIO) is what the restore reports. Returns the bytes written. */
async function writeAll(fd: number, data: Buffer, pos: number): Promise<number> {
  let put = 0;
  while (put < data.length) {
    const n = await writeAsync(fd, data.subarray(put), pos + put);
    if (n === 0) throw new Error(`short write (${put} of ${data.length} bytes)`);
    put += n;
  }
  return put;
}
