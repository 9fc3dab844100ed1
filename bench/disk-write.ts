// The disk's durable write rate, measured the ways a restore could write: O_DIRECT writes of
// several sizes with 1–4 in flight into a sparse or a preallocated file, and buffered writes
// with early writeback (fdatasync every N MiB) — each ended by an fsync. Prints wall seconds
// and MB/s per way. DISK_DIR (default the OS temp dir), DISK_MIB (1536), DISK_RUNS (2),
// DISK_ONLY (a substring of the ways to run). Needs UV_THREADPOOL_SIZE ≥ the depth.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alignedRandom, durableWrite, fsync, write } from './disk-floor.js';

const MIB = Number(process.env.DISK_MIB ?? 1536);
const RUNS = Number(process.env.DISK_RUNS ?? 2);
const DIR = process.env.DISK_DIR ?? os.tmpdir();
const ONLY = process.env.DISK_ONLY ?? '';

interface Way {
  name: string;
  run: (file: string) => Promise<void>;
}

const fdatasync = (fd: number): Promise<void> => new Promise((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));

function direct(size: number, depth: number, prealloc: boolean): Way {
  return {
    name: `direct ${size >> 20}M x${depth}${prealloc ? ' fallocated' : ' sparse'}`,
    run: async (file) => void (await durableWrite(file, MIB << 20, size, depth, prealloc)),
  };
}

function buffered(size: number, every: number): Way {
  return {
    name: `buffered ${size >> 20}M ${every ? `fdatasync/${every >> 20}M` : 'no flush until the end'}`,
    run: async (file) => {
      const total = MIB << 20;
      const fd = fs.openSync(file, 'w', 0o600);
      let flushing: Promise<void> | null = null;
      let since = 0;
      for (let pos = 0; pos < total; pos += size) {
        await write(fd, pool.subarray(0, size), pos);
        since += size;
        if (every && since >= every && !flushing) {
          since = 0;
          flushing = fdatasync(fd).then(() => void (flushing = null));
        }
      }
      await flushing;
      await fsync(fd);
      fs.closeSync(fd);
    },
  };
}

const pool = alignedRandom(64 << 20);
const ways: Way[] = [];
for (const prealloc of [false, true]) for (const size of [1 << 20, 4 << 20, 16 << 20]) for (const depth of [1, 2, 4]) ways.push(direct(size, depth, prealloc));
ways.push(buffered(4 << 20, 0), buffered(4 << 20, 64 << 20), buffered(4 << 20, 256 << 20));
const chosen = ways.filter((w) => w.name.includes(ONLY));

console.log(`disk-write: ${MIB} MiB per way into ${DIR}, fsync at the end, ${RUNS} runs taking turns; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
const times = new Map<string, number[]>();
for (let r = 0; r < RUNS; r++) {
  for (const w of chosen) {
    const file = path.join(DIR, `disk-write-${process.pid}.img`);
    fs.rmSync(file, { force: true });
    const t = performance.now();
    await w.run(file);
    const s = (performance.now() - t) / 1000;
    fs.rmSync(file, { force: true });
    times.set(w.name, [...(times.get(w.name) ?? []), s]);
  }
}
for (const w of chosen) {
  const s = times.get(w.name)!.sort((a, b) => a - b);
  console.log(`${w.name.padEnd(40)} ${s.map((x) => x.toFixed(2)).join(' / ')} s   best ${((MIB * 1.048576) / s[0]!).toFixed(0)} MB/s`);
}
