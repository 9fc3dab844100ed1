// Reading a volume file into a reused buffer: `want` bytes at `pos` however many reads it takes
// (a file that shrank meanwhile reads as zeros past its end; the next point sees the new size),
// and a range of blocks in runs.
import fs from 'node:fs';

export function preadFull(fd: number, buf: Buffer, want: number, pos: number): void {
  let got = 0;
  while (got < want) {
    const r = fs.readSync(fd, buf, got, want - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  if (got < want) buf.fill(0, got, want);
}

/**
 * Read blocks start..end of a file (size bytes long) in runs of `perRead` blocks into `buf`,
 * calling `each(first, count)` with each run at the start of `buf`; returns the bytes read.
 */
export function readRuns(path: string, buf: Buffer, bs: number, perRead: number, start: number, end: number, size: number, each: (first: number, count: number) => void): number {
  const fd = fs.openSync(path, 'r');
  let bytesRead = 0;
  try {
    for (let b = start; b < end; b += perRead) {
      const n = Math.min(perRead, end - b);
      const want = Math.min(n * bs, size - b * bs);
      preadFull(fd, buf, want, b * bs);
      bytesRead += want;
      each(b, n);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytesRead;
}
