// Copy recovery points to a second target (a directory or an S3 bucket): the packs a point
// needs that the target lacks, byte for byte (so encrypted the same way), each read back and
// compared; then the point object; then the catalog records that the copy holds the point.
// Incremental (what the target has is skipped) and resumable (each point is recorded once
// complete). The target gets the repository's config and key files first.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { CopyRecords, PointObjects } from '../catalog/copy-store.js';
import type { BlockStore } from './block-store.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO } from './manifest.js';
import { OBJECT, type PackStore } from './pack-store.js';
import { encodePointObject } from './point-object.js';

export interface CopyTargetSpec {
  name: string;
  immutable: boolean;
  /** seconds; with immutable, how long each object is retained (null: a year) */
  keep: number | null;
}

export interface CopyProgress {
  points: number;
  packs: number;
  bytes: number;
  /** key files removed from the store that an immutable copy still holds (it cannot delete them) */
  staleKeys?: string[];
}

export interface CopyOptions {
  bytesPerSecond?: number;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
  now?: () => number;
  /** copy only these of the points the copy lacks (its keep rules let the others go) */
  only?: ReadonlySet<number>;
}

const DEFAULT_RETENTION_SECONDS = 365 * 86_400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/** The chunk hashes of a point that are stored (zero blocks are not). */
function storedHashes(store: BlockStore, pointId: number): Buffer[] {
  const map = store.blockMap(pointId);
  const hashes: Buffer[] = [];
  for (let i = 0; i < map.point.blockCount; i++) if (!(map.flags[i]! & FLAG_ZERO)) hashes.push(map.hashes.subarray(i * 32, i * 32 + 32));
  return hashes;
}

/** Record what the copy holds for a point: its object, where it came from, and every pack it needs. */
function recordHeld(store: BlockStore, records: CopyRecords, copy: string, pointId: number, object: string, packs: Iterable<string>, copiedAt: string, retainUntil: Date | undefined): void {
  const c = store.catalog;
  const p = c.point(pointId)!;
  const vol = c.volumeById(p.volumeId)!;
  const host = c.hostById(vol.hostId)!;
  records.recordHeld(copy, { object, pointId, host: host.name, volume: vol.name, time: p.time, copiedAt, retainUntil: retainUntil?.toISOString() ?? null }, packs);
}

/**
 * Points the copy held before it recorded their packs: record them now from the catalog's
 * chunk index, so that pruning knows which packs they need.
 */
export function recordUnrecordedHeld(store: BlockStore, copy: string, at: string): void {
  const records = new CopyRecords(store.catalog.db);
  const ids = records.unrecordedHeld(copy);
  if (!ids.length) return;
  store.catalog.tx(() => {
    for (const id of ids) recordHeld(store, records, copy, id, pointObjectOf(store, id).name, records.packsOfChunks(storedHashes(store, id)), at, undefined);
  });
}

/** A point object of a catalog point (its whole image), named as recorded or newly named. */
export function pointObjectOf(store: BlockStore, pointId: number): { name: string; body: Buffer } {
  const c = store.catalog;
  const objects = new PointObjects(c.db);
  let objectName = objects.nameOf(pointId);
  const p = c.point(pointId);
  if (!p) throw new StoreError(`recovery point ${pointId} does not exist`);
  if (!objectName) {
    objectName = `${p.time.replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(8).toString('hex')}`;
    objects.set(pointId, objectName);
  }
  const vol = c.volumeById(p.volumeId)!;
  const host = c.hostById(vol.hostId)!;
  const name = OBJECT.point(objectName);
  const map = store.blockMap(pointId);
  const body = encodePointObject(
    { version: 1, host: host.name, volume: vol.name, volumePath: vol.path, time: p.time, type: p.type, size: p.size, blockSize: p.blockSize, blockCount: p.blockCount, merkleRoot: p.merkleRoot },
    map.hashes,
    name,
    store.repo?.cipher ?? null,
  );
  return { name, body };
}

const PACKS_IN_FLIGHT = 4;
const COMPARE_BLOCK = 4 * 1024 * 1024;

/** Whether two local files hold the same bytes (read side by side in large blocks). */
async function sameFiles(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([fs.promises.open(a, 'r'), fs.promises.open(b, 'r')]);
  const ba = Buffer.allocUnsafe(COMPARE_BLOCK);
  const bb = Buffer.allocUnsafe(COMPARE_BLOCK);
  try {
    for (let off = 0; ; off += COMPARE_BLOCK) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, COMPARE_BLOCK, off), fb.read(bb, 0, COMPARE_BLOCK, off)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/**
 * Copy one pack whole (a kernel file copy into a directory, a put or multipart upload to S3),
 * then read it back and compare it with the source; returns its size.
 */
async function copyPack(store: BlockStore, target: PackStore, pack: string, copyName: string, o: { signal?: AbortSignal; retainUntil?: Date }): Promise<number> {
  const objectName = OBJECT.pack(pack);
  const file = await store.acquirePack(pack, o.signal);
  try {
    await target.putFile(objectName, file, o);
    const same = target.localPath
      ? await sameFiles(file, target.localPath(objectName))
      : sha256(await target.get(objectName, undefined, undefined, o.signal)).equals(sha256(await fs.promises.readFile(file)));
    if (!same) throw new StoreError(`copy ${copyName}: pack ${pack} reads back different from what was written to ${target.location}`);
    return (await fs.promises.stat(file)).size;
  } finally {
    store.releasePack(pack);
  }
}

export async function copyPoints(store: BlockStore, target: PackStore, spec: CopyTargetSpec, o: CopyOptions = {}): Promise<CopyProgress> {
  if (!store.repo) throw new StoreError('the store is not open');
  const now = o.now ?? Date.now;
  const check = () => {
    if (o.signal?.aborted) throw new StoreError(`copy ${spec.name}: cancelled`);
  };
  const staleKeys = await store.repo.initCopy(target, { prune: !spec.immutable });
  const records = new CopyRecords(store.catalog.db);
  const havePacks = new Set((await target.list('packs/', o.signal)).map((x) => x.name));
  const havePoints = new Set((await target.list('points/', o.signal)).map((x) => x.name));
  const progress: CopyProgress = { points: 0, packs: 0, bytes: 0, ...(staleKeys.length ? { staleKeys } : {}) };
  const started = Date.now();
  const retainUntil = () => (spec.immutable ? new Date(now() + (spec.keep ?? DEFAULT_RETENTION_SECONDS) * 1000) : undefined);

  for (const pointId of records.missingPoints(spec.name)) {
    if (o.only && !o.only.has(pointId)) continue;
    check();
    const needed = records.packsOfChunks(storedHashes(store, pointId));
    const missing = [...needed].filter((pack) => !havePacks.has(OBJECT.pack(pack)));
    // a few packs in flight: one is read and hashed while another is written and fsynced
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < missing.length) {
        const pack = missing[next++]!;
        check();
        const bytes = await copyPack(store, target, pack, spec.name, { signal: o.signal, retainUntil: retainUntil() });
        havePacks.add(OBJECT.pack(pack));
        progress.packs++;
        progress.bytes += bytes;
        o.onProgress?.(progress);
        if (o.bytesPerSecond) {
          const ahead = (progress.bytes / o.bytesPerSecond) * 1000 - (Date.now() - started);
          if (ahead > 0) await sleep(ahead);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PACKS_IN_FLIGHT, missing.length) }, lane));
    const obj = pointObjectOf(store, pointId);
    const pointRetainUntil = retainUntil();
    if (!havePoints.has(obj.name)) {
      await target.put(obj.name, obj.body, { signal: o.signal, retainUntil: pointRetainUntil });
      const back = await target.get(obj.name, undefined, undefined, o.signal);
      if (!back.equals(obj.body)) throw new StoreError(`copy ${spec.name}: point object of point ${pointId} reads back different`);
      havePoints.add(obj.name);
      progress.bytes += obj.body.length;
    }
    const at = new Date(now()).toISOString();
    store.catalog.tx(() => {
      records.markCopied(spec.name, pointId, at);
      recordHeld(store, records, spec.name, pointId, obj.name, needed, at, pointRetainUntil);
    });
    progress.points++;
    o.onProgress?.(progress);
  }
  return progress;
}
