// Failback's narrow reads on the agent: the sha256 of just the listed blocks of a volume (the
// union of blocks changed on either side), and the blocks the agent's own tracker sees changed
// since its committed generation, so neither the whole volume's hashes nor its data travel.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { scanVolume, type ScanPool } from './trackers/scan.js';
import type { VolumeGeneration } from './state.js';

/** sha256 of each listed block (32 bytes each, in list order); the last block hashed over its actual length. */
export async function hashListedBlocks(file: string, blockSize: number, size: number, indices: Uint32Array): Promise<Buffer> {
  const out = Buffer.alloc(indices.length * 32);
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(blockSize);
    for (let k = 0; k < indices.length; k++) {
      const offset = indices[k]! * blockSize;
      if (offset >= size) throw new Error(`block ${indices[k]} is beyond the volume's ${size} bytes`);
      const len = Math.min(blockSize, size - offset);
      const { bytesRead } = await fh.read(buf, 0, len, offset);
      if (bytesRead !== len) throw new Error(`short read at block ${indices[k]}`);
      createHash('sha256').update(buf.subarray(0, len)).digest().copy(out, k * 32);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Blocks changed since the committed generation `base`, as the scan tracker compares them (xxh3 per block). */
export async function changedSinceBase(pool: ScanPool, file: string, blockSize: number, base: VolumeGeneration): Promise<{ size: number; changed: number[] }> {
  const size = fs.statSync(file).size;
  if (base.blockSize !== blockSize) throw new Error(`the committed generation has block size ${base.blockSize}, the volume ${blockSize}`);
  const scan = await scanVolume(pool, file, size, blockSize, base.xxh, false);
  return { size, changed: scan.changed };
}
