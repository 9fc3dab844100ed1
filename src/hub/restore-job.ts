// A restore job as the hub carries it out: the job's params name the point, the volume and
// the target file; the store rebuilds the image there (restore.ts). A restore whose Merkle
// check passed marks its point restored; zeros written for damage are told as a warning.
import type { JobRow } from '../catalog/catalog.js';
import type { DamageRepo } from '../catalog/damage-repo.js';
import type { BlockStore } from '../store/block-store.js';
import { describeBlocks } from '../store/damage.js';
import { restoreVolume, type ImageFormat } from '../store/restore.js';
import type { Clock, HubLog, HubTask, Journal } from './ports.js';

interface RestoreParams {
  pointId: number;
  volume: string;
  to: string;
  format: ImageFormat;
  sync?: boolean;
  allowDamaged?: boolean;
}

export interface RestoreJobPorts {
  store: BlockStore;
  clock: Clock;
  journal: Journal;
  marks: Pick<DamageRepo, 'addMarks'>;
  hostOf: (j: JobRow) => string | null;
  /** the hub's log: each restore's phases go there (bench:backup reads them) */
  log?: HubLog;
}

export function restoreTask(p: RestoreJobPorts): HubTask<JobRow> {
  return async (j, signal, progress) => {
    const r = j.params as unknown as RestoreParams;
    const done = await restoreVolume(p.store, r.pointId, r.volume, r.to, {
      format: r.format,
      sync: r.sync ?? true,
      allowDamaged: r.allowDamaged ?? false,
      signal,
      onProgress: (x) => progress(x.doneBytes, x.totalBytes),
    });
    const ms = Object.fromEntries(Object.entries(done.phases).map(([k, v]) => [k, Math.round(v)]));
    p.log?.('info', `restore job ${j.id}: ${r.volume} point ${r.pointId} in ${ms.total} ms`, { job: j.id, restore: ms });
    if (done.zeroedBlocks.length > 0) {
      const where = describeBlocks(done.zeroedBlocks);
      p.journal.event('warning', 'restore.zeroed', p.hostOf(j), `restore of point ${r.pointId} volume ${r.volume} to ${r.to} wrote zeros at damaged ${where}`, { point: r.pointId, blocks: done.zeroedBlocks.slice(0, 1000) });
    } else p.marks.addMarks(r.pointId, { restored: { time: p.clock.iso(), by: `job ${j.id}` } });
  };
}
