// Picks the tracker a volume's config asks for.
import type { LogFn } from '../log.js';
import type { VolumeSpec } from '../uploader.js';
import { QemuDirtyBitmapTracker } from './qemu-dirty-bitmap.js';
import type { ScanPool } from './scan.js';
import { ScanTracker, type VolumeTracker } from './tracker.js';

export interface TrackerContext {
  dataDir: string;
  pool: ScanPool;
  statSize(path: string): number;
  generation(volume: string): number | null;
  log: LogFn;
  invalidated(volume: string, message: string): void;
}

export function createTracker(v: VolumeSpec, ctx: TrackerContext): VolumeTracker {
  if (v.tracker !== 'qemu-dirty-bitmap') return new ScanTracker(v, ctx.pool, ctx.statSize);
  return new QemuDirtyBitmapTracker({
    volume: { name: v.name, path: v.path, blockSize: v.blockSize, qmp: v.qmp ?? null, nbd: v.nbd ?? null },
    dataDir: ctx.dataDir,
    generation: ctx.generation,
    log: ctx.log,
    invalidated: ctx.invalidated,
  });
}
