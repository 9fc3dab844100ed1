// Failback from a running qemu failover instance, through the dirty bitmap the hub added at
// its boot: the reverse sync reads only the blocks the guest wrote (and those the source
// changed since the failover point) from the live disk while the guest keeps running; the
// cut-over pauses the guest and sends what it wrote since; the verification computes the DR
// disk's Merkle root from the point's block hashes and the blocks the overlay holds (read
// from the paused guest), while the source agent hashes its whole volume.
import { createHash } from 'node:crypto';
import type { InstanceRow } from '../catalog/instance-store.js';
import type { RunPointView } from '../protocol/recovery.js';
import type { RecoveryHost, SourceVolumes } from './host.js';
import { differingBlocks } from './image-hashes.js';
import { isTracked, openRound, type DirtyRound } from './qemu/dirty-tracking.js';
import type { RecoveredInstances } from './instances.js';

export interface LiveSync {
  blocksSent: number;
  bytesSent: number;
  /** blocks the DR guest wrote (this round) / the source changed since the point; null: not asked */
  drChanged: number;
  sourceChanged: number | null;
  /** the blocks compared (or sent, when not compared) */
  union: number;
  sourceHashed: number;
}

/** The failover instance of this host, when it runs with its writes tracked on every volume. */
export async function trackedInstance(instances: RecoveredInstances | undefined, failoverRun: number, host: string, volumes: string[]): Promise<InstanceRow | null> {
  if (!instances) return null;
  const row = instances.ofRun(failoverRun, host).filter((r) => r.kind === 'failover').sort((a, b) => b.id - a.id)[0];
  if (!row || row.state !== 'running' || !row.qmp) return null;
  for (const v of volumes) if (!(await isTracked(row.qmp, v).catch(() => false))) return null;
  return row;
}

function linkOf(host: RecoveryHost, name: string): SourceVolumes {
  const link = host.sourceVolumes(name);
  if (!link) throw new Error(`the agent of ${name} is not connected`);
  return link;
}

/** Block hashes of a point, or null when it is gone or of another shape. */
export function pointHashes(host: RecoveryHost, pointId: number, blockSize: number, count: number): Buffer | null {
  try {
    const map = host.store.blockMap(pointId);
    return map.point.blockSize === blockSize && map.hashes.length === count * 32 ? map.hashes : null;
  } catch {
    return null;
  }
}

/** The blocks the source changed since the failover point: its tracker's and those between its generation and the point (or, without a tracker's answer, its hashes against the point's). */
async function sourceChanges(host: RecoveryHost, link: SourceVolumes, p: RunPointView, signal?: AbortSignal): Promise<{ blockSize: number; changed: number[] | null }> {
  const src = await link.changes(p.volume, signal).catch(() => null);
  if (!src) {
    // no committed generation on the agent: its whole volume hashed against the point instead
    const whole = await link.hashes(p.volume, signal);
    const atPoint = pointHashes(host, p.pointId, whole.blockSize, whole.sha.length / 32);
    return { blockSize: whole.blockSize, changed: atPoint ? differingBlocks(atPoint, whole.sha) : null };
  }
  const count = Math.ceil(src.size / src.blockSize);
  const atPoint = pointHashes(host, p.pointId, src.blockSize, count);
  const atBase = src.generation === null ? null : src.generation === p.pointId ? atPoint : pointHashes(host, src.generation, src.blockSize, count);
  if (!atPoint || !atBase) return { blockSize: src.blockSize, changed: null };
  return { blockSize: src.blockSize, changed: [...new Set([...src.changed, ...(atBase === atPoint ? [] : differingBlocks(atPoint, atBase))])] };
}

async function* onlyDiffering(round: DirtyRound, indices: number[], sourceSha: Buffer | null, sent: { blocks: number; bytes: number }): AsyncGenerator<{ index: number; data: Buffer }> {
  let k = 0;
  for await (const b of round.read(indices)) {
    const at = k++;
    if (sourceSha && createHash('sha256').update(b.data).digest().equals(sourceSha.subarray(at * 32, at * 32 + 32))) continue;
    sent.blocks++;
    sent.bytes += b.data.length;
    yield b;
  }
}

/**
 * One round: freeze the bitmap, read the dirty blocks from the live disk and write into the
 * source those that differ from it. `whole`: also every block the overlay holds and the
 * blocks the source changed since the point (the first, long round); else only the blocks
 * dirtied since the last round, sent without comparing (the cut-over's short one).
 */
export async function liveRound(host: RecoveryHost, name: string, row: InstanceRow, p: RunPointView, whole: boolean, signal?: AbortSignal): Promise<LiveSync> {
  const link = linkOf(host, name);
  const src = whole ? await sourceChanges(host, link, p, signal) : { blockSize: 0, changed: null };
  const blockSize = src.blockSize || volumeBlockSize(host, name, p.volume);
  const round = await openRound(row.qmp!, row.dir, p.volume, blockSize, { overlay: whole, bitmap: true });
  try {
    const candidates = [...new Set([...round.blocks, ...(src.changed ?? [])])].filter((i) => i * blockSize < round.size).sort((a, b) => a - b);
    if (whole && src.changed === null) throw new Error(`the source's changes since point ${p.pointId} are unknown`);
    const sha = whole && candidates.length ? await link.hashesOf(p.volume, candidates, signal) : null;
    const sent = { blocks: 0, bytes: 0 };
    if (candidates.length) {
      const written = await link.write(p.volume, { blockSize, size: round.size }, onlyDiffering(round, candidates, sha, sent), signal);
      if (written !== sent.blocks) throw new Error(`the source agent wrote ${written} of ${sent.blocks} block(s)`);
    }
    await round.done();
    return { blocksSent: sent.blocks, bytesSent: sent.bytes, drChanged: round.blocks.length, sourceChanged: src.changed?.length ?? null, union: candidates.length, sourceHashed: sha ? candidates.length : 0 };
  } catch (e) {
    await round.abandon().catch(() => undefined);
    throw e;
  }
}

/** The volume's block size as the catalog knows it from the source's backups. */
export function volumeBlockSize(host: RecoveryHost, name: string, volume: string): number {
  const row = host.catalog.hostByName(name);
  const v = row ? host.catalog.volumesOf(row.id).find((x) => x.name === volume) : undefined;
  if (!v) throw new Error(`host ${name} has no volume ${volume}`);
  return v.blockSize;
}

/**
 * Block hashes of the paused guest's disk: the point's, with the blocks the overlay holds
 * hashed from the live disk (every block when the point is gone). The size is the export's.
 */
export async function liveDiskHashes(host: RecoveryHost, row: InstanceRow, p: RunPointView, blockSize: number): Promise<{ size: number; sha: Buffer }> {
  const round = await openRound(row.qmp!, row.dir, p.volume, blockSize, { overlay: true, bitmap: false });
  try {
    const count = Math.ceil(round.size / blockSize);
    const atPoint = pointHashes(host, p.pointId, blockSize, count);
    const sha = atPoint ? Buffer.from(atPoint) : Buffer.alloc(count * 32);
    const indices = atPoint ? round.blocks : Array.from({ length: count }, (_, i) => i);
    for await (const b of round.read(indices)) createHash('sha256').update(b.data).digest().copy(sha, b.index * 32);
    return { size: round.size, sha };
  } finally {
    await round.abandon().catch(() => undefined);
  }
}

/** The pre-check's forecast for a tracked instance: the blocks the guest wrote (its overlay's) and the source changed since the point. */
export async function liveForecast(host: RecoveryHost, name: string, row: InstanceRow, p: RunPointView, signal?: AbortSignal): Promise<{ blockSize: number; size: number; union: number; drChanged: number; sourceChanged: number | null }> {
  const link = linkOf(host, name);
  const src = await sourceChanges(host, link, p, signal);
  const blockSize = src.blockSize || volumeBlockSize(host, name, p.volume);
  const round = await openRound(row.qmp!, row.dir, p.volume, blockSize, { overlay: true, bitmap: false });
  try {
    const union = new Set([...round.blocks, ...(src.changed ?? [])]).size;
    return { blockSize, size: round.size, union, drChanged: round.blocks.length, sourceChanged: src.changed?.length ?? null };
  } finally {
    await round.abandon().catch(() => undefined);
  }
}
