// Read `want` bytes of a file at `pos` into the start of `buf`, however many reads it takes; a
// file that shrank meanwhile reads as zeros past its end (the next point sees the new size).
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
