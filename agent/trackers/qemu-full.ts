// A full backup's reads of the frozen point-in-time view (qemu-fleece.ts), range by range.
// A raw image is read straight from its file by the full readers, like the scan tracker
// reads, instead of through the daemon's NBD export: most of a disk is not written while a
// full runs, and the file holds the frozen bytes there. Where the guest did write, the daemon
// copied the old bytes into the scratch before the write reached the file; so after a
// range's file read, the scratch's allocation (`qemu:allocation-depth`, depth 1: in the
// scratch) is asked, and a range with any of it is read again through the view. Asking after
// the read matters: a copy made before or during the read is seen, and the view's bytes win.
// Other formats (qcow2) are read through the view alone. Blocks the view reports as zero
// (`base:allocation`, asked once after the freeze: holes, unallocated clusters) are read
// neither from the file nor through the view: the view's bytes never change, so what it
// reported as zero after the freeze stays its content.
import type { NbdReadConnections } from '../nbd/connections.js';
import type { FullResult } from './full-worker.js';
import { fullReaders } from './scan.js';
import { SlabPool } from './slab-pool.js';

/** NBD meta context whose extents say which layer of the view holds a range (1: the scratch) */
export const ALLOCATION_DEPTH = 'qemu:allocation-depth';
const IN_SCRATCH = 1;
/** bytes of one NBD request of a range read through the view (a range is several, spread over the connections) */
const VIEW_REQUEST_BYTES = 2 * 1024 * 1024;
/** ranges (8 MiB at 64 KiB blocks) read through the view, kept mapped until the full ends */
const viewSlabs = new SlabPool(8 * 1024 * 1024, 4);

export interface FullJob {
  jobId: number;
  volumeIndex: number;
}

export class FrozenFullReader {
  /** ranges read from the image file and kept */
  fileRanges = 0;
  /** ranges read through the view (all of them without a file; else those the guest wrote to) */
  viewRanges = 0;

  constructor(
    private readonly nbd: NbdReadConnections,
    /** the raw image file behind the view, or null: read through the view alone */
    readonly imageFile: string | null,
    private readonly blockSize: number,
    /** per block of the volume, 1: all zero in the view (not read), or null */
    private readonly known0: Uint8Array | null = null,
  ) {}

  /** blocks known to be zero from the start, not read */
  get zeroBlocks(): number {
    let n = 0;
    for (const z of this.known0 ?? []) n += z;
    return n;
  }

  /** Blocks start..end as the view has them, hashed and framed into `out` by a full reader. */
  async read(start: number, end: number, size: number, job: FullJob, out: Buffer): Promise<FullResult> {
    if (this.imageFile) {
      const bs = this.blockSize;
      // no xxh3 list: the bitmap says what changes
      const known0 = this.known0?.subarray(start, end);
      const r = await fullReaders.run({ path: this.imageFile, blockSize: bs, size, start, end, jobId: job.jobId, volumeIndex: job.volumeIndex, out, xxh3: false, known0: known0?.includes(1) ? known0.slice() : undefined });
      const offset = start * bs;
      const extents = await this.nbd.primary.blockStatus(ALLOCATION_DEPTH, offset, Math.min(end * bs, size) - offset);
      if (!extents.some((e) => e.flags === IN_SCRATCH)) {
        this.fileRanges++;
        return r;
      }
    }
    this.viewRanges++;
    return this.readThroughView(start, end, size, job, out);
  }

  private async readThroughView(start: number, end: number, size: number, job: FullJob, out: Buffer): Promise<FullResult> {
    const bs = this.blockSize;
    const len = Math.min(end * bs, size) - start * bs;
    const slab = viewSlabs.take(len);
    try {
      const data = slab.subarray(0, len);
      const reads: Promise<unknown>[] = [];
      const known0 = this.known0;
      for (let b = start; b < end; ) {
        // a run of blocks to read, then one of zero blocks (not asked for)
        let e = b;
        while (e < end && !known0?.[e]) e++;
        const runEnd = Math.min(e * bs, size) - start * bs;
        for (let o = (b - start) * bs; o < runEnd; o += VIEW_REQUEST_BYTES) {
          const n = Math.min(VIEW_REQUEST_BYTES, runEnd - o);
          reads.push(this.nbd.read(start * bs + o, n, data.subarray(o, o + n)));
        }
        for (b = e; b < end && known0?.[b]; b++);
        if (b > e) data.fill(0, (e - start) * bs, Math.min(b * bs, size) - start * bs);
      }
      await Promise.all(reads);
      return await fullReaders.run({ path: '', blockSize: bs, size, start, end, jobId: job.jobId, volumeIndex: job.volumeIndex, out, data, xxh3: false });
    } finally {
      viewSlabs.give(slab);
    }
  }

  /** The full ended: unmap the view's slabs. */
  static release(): void {
    viewSlabs.trim();
  }
}
