// A restore job as the hub carries it out: the job's params name the point, the volume and
// the target file; the store rebuilds the image there (restore.ts).
import type { JobRow } from '../catalog/catalog.js';
import type { BlockStore } from '../store/block-store.js';
import { restoreVolume, type ImageFormat } from '../store/restore.js';
import type { HubTask } from './ports.js';

interface RestoreParams {
  pointId: number;
  volume: string;
  to: string;
  format: ImageFormat;
  sync?: boolean;
}

export function restoreTask(store: BlockStore): HubTask<JobRow> {
  return async (j, signal, progress) => {
    const p = j.params as unknown as RestoreParams;
    await restoreVolume(store, p.pointId, p.volume, p.to, {
      format: p.format,
      sync: p.sync ?? true,
      signal,
      onProgress: (r) => progress(r.doneBytes, r.totalBytes),
    });
  };
}
