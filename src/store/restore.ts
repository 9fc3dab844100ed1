// Rebuild a volume at a recovery point into a file: sparse writes, every chunk verified,
// the Merkle root recomputed; written to a temporary name and renamed only when good.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { merkleRootPacked } from '../protocol/merkle.js';
import type { BlockStore } from './block-store.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO, blockLength } from './manifest.js';

export type ImageFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhdx';

export interface RestoreProgress {
  doneBytes: number;
  totalBytes: number;
}

export interface RestoreResult {
  path: string;
  format: ImageFormat;
  size: number;
  blocksWritten: number;
  merkleRoot: string;
}

const YIELD_EVERY = 64;

export async function restoreVolume(
  store: BlockStore,
  pointId: number,
  volumeName: string,
  to: string,
  opts: { format?: ImageFormat; onProgress?: (p: RestoreProgress) => void; signal?: AbortSignal } = {},
): Promise<RestoreResult> {
  const format = opts.format ?? 'raw';
  if (format !== 'raw') await requireQemuImg();
  const map = store.blockMap(pointId);
  const { point } = map;
  const dest = path.resolve(to);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${process.pid}`;
  const rawTmp = format === 'raw' ? tmp : `${dest}.raw-${process.pid}`;
  const fd = fs.openSync(rawTmp, 'w');
  let written = 0;
  try {
    fs.ftruncateSync(fd, point.size);
    for (let i = 0; i < point.blockCount; i++) {
      if (opts.signal?.aborted) throw new StoreError('restore cancelled');
      const len = blockLength(i, point.blockSize, point.size);
      if (!(map.flags[i]! & FLAG_ZERO)) {
        const hash = map.hashes.subarray(i * 32, i * 32 + 32);
        const data = store.readChunk(hash, `volume ${volumeName} block ${i}`);
        if (data.length !== len) throw new StoreError(`volume ${volumeName} block ${i}: chunk is ${data.length} bytes, expected ${len}`);
        fs.writeSync(fd, data, 0, len, i * point.blockSize);
        written++;
      }
      if (i % YIELD_EVERY === YIELD_EVERY - 1) {
        opts.onProgress?.({ doneBytes: Math.min(point.size, (i + 1) * point.blockSize), totalBytes: point.size });
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    // every chunk's hash was checked against the manifest, so the image's root is the map's
    const root = merkleRootPacked(map.hashes);
    if (root !== point.merkleRoot) {
      throw new StoreError(`volume ${volumeName} point ${pointId}: Merkle root ${root.slice(0, 16)} differs from recorded ${point.merkleRoot.slice(0, 16)}`);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (format !== 'raw') {
      await qemuImg(['convert', '-f', 'raw', '-O', format, rawTmp, tmp]);
      fs.rmSync(rawTmp, { force: true });
    }
    fs.renameSync(tmp, dest);
    opts.onProgress?.({ doneBytes: point.size, totalBytes: point.size });
    return { path: dest, format, size: point.size, blocksWritten: written, merkleRoot: root };
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(rawTmp, { force: true });
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

async function requireQemuImg(): Promise<void> {
  try {
    await run('qemu-img', ['--version']);
  } catch {
    throw new StoreError('qemu-img is not installed: formats other than raw need it (Debian: apt-get install qemu-utils)');
  }
}

async function qemuImg(args: string[]): Promise<void> {
  const r = await run('qemu-img', args);
  if (r.code !== 0) throw new StoreError(`qemu-img ${args[0]} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
}
