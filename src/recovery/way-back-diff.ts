// Which blocks failback must send home, measured again from both sides every time it is asked
// (so a resumed step never trusts a stale answer). The narrow way: the blocks changed at the DR
// site since the failover point (the DR image hashed on the hub against the point's block map)
// united with the blocks the source changed since then (its tracker's changes since its
// committed generation, plus what lies between that generation and the point), and only that
// union hashed on the source and compared: neither the source's whole hash list nor any data
// outside the union travels. When either side's changes are unknown (the point pruned, the
// agent without a committed generation), both volumes are hashed whole, as the verification does.
import type { RunPointView } from '../protocol/recovery.js';
import type { RecoveryHost } from './host.js';
import { pointHashes, volumeBlockSize } from './way-back-live.js';
import { differingBlocks, hashImageCached } from './image-hashes.js';

export interface VolumeDiff {
  point: RunPointView;
  blockSize: number;
  size: number;
  /** blocks whose content differs between the source and the DR image: what travels */
  differing: number[];
  /** blocks changed since the failover point at the DR site / at the source; null when not known */
  drChanged: number | null;
  sourceChanged: number | null;
  /** blocks of the union of both sides' changes, the only ones compared; null: whole volumes compared */
  union: number | null;
  /** block hashes the source sent for the comparison */
  sourceHashed: number;
}

export interface WholeDiff extends VolumeDiff {
  drSha: Buffer;
  sourceSha: Buffer;
}

function linkOf(host: RecoveryHost, name: string) {
  const link = host.sourceVolumes(name);
  if (!link) throw new Error(`the agent of ${name} is not connected`);
  return link;
}

/** Both volumes hashed whole: the verification's comparison (and the fallback). */
export async function diffVolume(host: RecoveryHost, name: string, p: RunPointView, signal?: AbortSignal): Promise<WholeDiff> {
  // both sides hash at once: the source agent its volume, the hub the DR image
  const blockSize = volumeBlockSize(host, name, p.volume);
  const [src, dr] = await Promise.all([linkOf(host, name).hashes(p.volume, signal), hashImageCached(p.image, blockSize, signal)]);
  if (src.blockSize !== blockSize) throw new Error(`source volume ${p.volume} has ${src.blockSize}-byte blocks, the catalog ${blockSize}`);
  if (dr.size !== src.size) throw new Error(`source volume ${p.volume} is ${src.size} bytes, the DR image ${dr.size}; they must be the same size`);
  let drChanged: number | null = null;
  let sourceChanged: number | null = null;
  try {
    const map = host.store.blockMap(p.pointId);
    if (map.point.blockSize === src.blockSize && map.hashes.length === dr.sha.length) {
      drChanged = differingBlocks(map.hashes, dr.sha).length;
      sourceChanged = differingBlocks(map.hashes, src.sha).length;
    }
  } catch {
    // the point was pruned: only the difference itself is known
  }
  return {
    point: p, blockSize: src.blockSize, size: src.size, differing: differingBlocks(dr.sha, src.sha), drChanged, sourceChanged,
    union: null, sourceHashed: src.sha.length / 32, drSha: dr.sha, sourceSha: src.sha,
  };
}


/** Only the union of both sides' changes compared; the whole volumes when either side's changes are unknown. */
export async function changedDiff(host: RecoveryHost, name: string, p: RunPointView, signal?: AbortSignal): Promise<VolumeDiff> {
  const link = linkOf(host, name);
  let src: Awaited<ReturnType<typeof link.changes>>;
  try {
    src = await link.changes(p.volume, signal);
  } catch {
    return diffVolume(host, name, p, signal);
  }
  const dr = await hashImageCached(p.image, src.blockSize, signal);
  if (dr.size !== src.size) throw new Error(`source volume ${p.volume} is ${src.size} bytes, the DR image ${dr.size}; they must be the same size`);
  const count = dr.sha.length / 32;
  const atPoint = pointHashes(host, p.pointId, src.blockSize, count);
  const atBase = src.generation === null ? null : src.generation === p.pointId ? atPoint : pointHashes(host, src.generation, src.blockSize, count);
  if (!atPoint || !atBase) return diffVolume(host, name, p, signal);
  const drSide = differingBlocks(atPoint, dr.sha);
  // the source since the point: what its tracker sees since its generation, and what differs between that generation and the point
  const sourceSide = new Set([...src.changed, ...(atBase === atPoint ? [] : differingBlocks(atPoint, atBase))]);
  const union = [...new Set([...drSide, ...sourceSide])].filter((i) => i < count).sort((a, b) => a - b);
  const sha = union.length ? await link.hashesOf(p.volume, union, signal) : Buffer.alloc(0);
  const differing = union.filter((i, k) => sha.compare(dr.sha, i * 32, i * 32 + 32, k * 32, k * 32 + 32) !== 0);
  return { point: p, blockSize: src.blockSize, size: src.size, differing, drChanged: drSide.length, sourceChanged: sourceSide.size, union: union.length, sourceHashed: union.length };
}

/**
 * The cut-over's last delta for a DR image no tracker watches: the blocks the DR side changed
 * since the point (the image hashed against the point's block map), compared with the source's
 * hashes of just those. The source's own changes went home with the reverse sync; should it
 * have changed again since, the verification that follows finds it.
 */
export async function lastDelta(host: RecoveryHost, name: string, p: RunPointView, signal?: AbortSignal): Promise<VolumeDiff> {
  const link = linkOf(host, name);
  const blockSize = volumeBlockSize(host, name, p.volume);
  const dr = await hashImageCached(p.image, blockSize, signal);
  const count = dr.sha.length / 32;
  const atPoint = pointHashes(host, p.pointId, blockSize, count);
  if (!atPoint) return changedDiff(host, name, p, signal);
  const drSide = differingBlocks(atPoint, dr.sha);
  const sha = drSide.length ? await link.hashesOf(p.volume, drSide, signal) : Buffer.alloc(0);
  const differing = drSide.filter((i, k) => sha.compare(dr.sha, i * 32, i * 32 + 32, k * 32, k * 32 + 32) !== 0);
  return { point: p, blockSize, size: dr.size, differing, drChanged: drSide.length, sourceChanged: null, union: drSide.length, sourceHashed: drSide.length };
}
