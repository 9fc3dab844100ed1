// Change statistics of each committed point, as the hub receives its blocks: how many were
// new to the store and how many of those did not compress. Recorded on the point and judged
// against its volume's baseline; a spike marks the point suspect and raises the
// `suspicious-change` alarm (through the `change.suspicious` event).
import type { ChangeRepo } from '../catalog/change-repo.js';
import { CODEC_RAW } from '../protocol/frames.js';
import { BASELINE_POINTS, judgeChange } from '../recovery/change-baseline.js';
import type { Journal, PointRepo } from './ports.js';

/** A block whose stored bytes are at least this share of its raw bytes "did not compress". */
const INCOMPRESSIBLE_AT = 0.95;

/** Counted per job-volume by the receive path. */
export class ChangeTally {
  received = 0;
  incompressible = 0;

  block(codec: number, storedBytes: number, rawBytes: number): void {
    this.received++;
    if (codec === CODEC_RAW || storedBytes >= rawBytes * INCOMPRESSIBLE_AT) this.incompressible++;
  }
}

export interface ChangeWatchPorts {
  catalog: PointRepo;
  change: ChangeRepo;
  journal: Pick<Journal, 'event'>;
}

/** Record a committed point's change and judge it; true when it was marked suspect. */
export function onPointCommitted(p: ChangeWatchPorts, host: string, volume: string, pointId: number, tally: ChangeTally): boolean {
  const pt = p.catalog.point(pointId);
  if (!pt || pt.blockCount === 0) return false;
  const changeRate = tally.received / pt.blockCount;
  const incompressibleShare = tally.received ? tally.incompressible / tally.received : 0;
  p.change.record(pointId, changeRate, incompressibleShare);
  const baseline = p.change.history(pt.volumeId, pointId, BASELINE_POINTS).filter((s) => !s.suspect);
  const v = judgeChange({ changeRate, incompressibleShare }, baseline);
  if (!v.suspect) return false;
  p.change.setSuspect(pointId, true);
  p.journal.event('critical', 'change.suspicious', host, `host ${host} volume ${volume}: recovery point ${pointId} is suspect: ${v.reason}; drills and failovers offer the point before it`, {
    point: pointId, volume, changeRate, incompressibleShare,
  });
  return true;
}
