// The demo's workload: rewrites random blocks of a disk image in bursts, clustered in
// a few hot regions (as real filesystems and databases do), so the heatmap has texture.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

export interface Workload {
  stop(): void;
}

export function startWorkload(file: string, opts: { blockSize?: number; everyMs?: number; maxBurst?: number } = {}): Workload {
  const bs = opts.blockSize ?? 65536;
  const blocks = Math.floor(fs.statSync(file).size / bs);
  const hot = Array.from({ length: 4 }, () => Math.floor(Math.random() * blocks));
  const timer = setInterval(() => {
    const fd = fs.openSync(file, 'r+');
    try {
      const burst = 1 + Math.floor(Math.random() * (opts.maxBurst ?? 40));
      const centre = Math.random() < 0.8 ? hot[Math.floor(Math.random() * hot.length)]! : Math.floor(Math.random() * blocks);
      const data = randomBytes(bs);
      for (let k = 0; k < burst; k++) {
        const i = Math.min(blocks - 1, Math.max(0, centre + Math.floor((Math.random() - 0.5) * blocks * 0.05)));
        data[0] = k;
        fs.writeSync(fd, data, 0, bs, i * bs);
      }
    } finally {
      fs.closeSync(fd);
    }
    if (Math.random() < 0.05) hot[Math.floor(Math.random() * hot.length)] = Math.floor(Math.random() * blocks);
  }, opts.everyMs ?? 1500);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** A sparse image with some data regions (random and text-like) and holes. */
export function makeDemoImage(file: string, mib: number): void {
  const fd = fs.openSync(file, 'w');
  const MB = 1024 * 1024;
  const text = Buffer.from('demo record: order=000123 status=shipped customer=acme region=eu-west\n'.repeat(Math.ceil(MB / 70)).slice(0, MB));
  try {
    fs.ftruncateSync(fd, mib * MB);
    for (let i = 0; i < mib; i++) {
      const r = Math.random();
      if (r < 0.15) fs.writeSync(fd, randomBytes(MB), 0, MB, i * MB);
      else if (r < 0.35) fs.writeSync(fd, text, 0, MB, i * MB);
    }
  } finally {
    fs.closeSync(fd);
  }
}
