// `drc store recover`: rebuild a catalog from a repository alone (a copy, or the S3 store)
// when the hub and its catalog are lost. Packs are copied into the new hub's store (unless
// it is the same store), the chunk index is read from each pack's own index section, and
// hosts, volumes and points come from the point objects; chains are rebuilt from the images
// (the oldest point of a volume a full, each later one a delta against the one before).
import { randomBytes } from 'node:crypto';
import { Catalog } from '../catalog/catalog.js';
import { PointObjects } from '../catalog/copy-store.js';
import { merkleRootPacked } from '../protocol/merkle.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO, blockLength, encodeManifest, zeroHash, type ManifestEntry } from './manifest.js';
import { decodePackIndex, readTrailer, scanPackRecords, TRAILER_BYTES, type PackIndexEntry } from './pack-index.js';
import { OBJECT, type PackStore } from './pack-store.js';
import { decodePointObject, type PointObject } from './point-object.js';
import { readRepositoryConfig, Repository } from './repository.js';

export interface RecoverReport {
  from: string;
  into: string;
  packsCopied: number;
  packs: number;
  chunks: number;
  hosts: number;
  /** the hosts recovered: none has an agent token on the new hub yet */
  hostNames: string[];
  volumes: number;
  points: number;
  /** points left out, with why (chunks missing, root differs, unreadable) */
  skipped: string[];
}

export interface RecoverOptions {
  passphrase: string | null;
  /** the hub name recover holds a remote destination's owner lock under (the new hub's) */
  hubName?: string;
  onProgress?: (what: string, done: number, total: number) => void;
}

async function packIndex(src: PackStore, repo: Repository, name: string, size: number): Promise<PackIndexEntry[]> {
  const obj = OBJECT.pack(name);
  const trailer = readTrailer(await src.get(obj, size - TRAILER_BYTES, TRAILER_BYTES), size);
  if (!trailer) {
    if (repo.encrypted) throw new StoreError(`pack ${name} has no index section`);
    return scanPackRecords(await src.get(obj), name);
  }
  const section = await src.get(obj, trailer.offset, trailer.length);
  return decodePackIndex(section, trailer.encrypted ? repo.cipher!.packKey(name) : null, name);
}

/**
 * Take the owner lock of a remote destination that holds this repository, as a hub does at
 * start: a live hub's lock refuses recover in the same words, before anything is written.
 * The lock is recover's own (a new owner), released when it ends; the new hub takes its own.
 */
async function lockDestination(repo: Repository, dest: PackStore, o: RecoverOptions): Promise<() => Promise<void>> {
  const none = async (): Promise<void> => undefined;
  if (dest.local) return none;
  const same = dest.location === repo.store.location;
  const target = same ? repo : (await readRepositoryConfig(dest))?.id === repo.config.id ? await Repository.open(dest, { passphrase: o.passphrase, create: false }) : null;
  if (!target) return none; // empty (no hub holds it), or another repository (initCopy refuses it)
  const owner = `store-recover-${randomBytes(8).toString('hex')}`;
  await target.lock(owner, o.hubName ?? 'store recover');
  return () => target.unlockOwner(owner);
}

export async function recoverCatalog(src: PackStore, dest: PackStore, catalogFile: string, o: RecoverOptions): Promise<RecoverReport> {
  const repo = await Repository.open(src, { passphrase: o.passphrase, create: false });
  const unlock = await lockDestination(repo, dest, o);
  try {
    return await rebuildCatalog(repo, src, dest, catalogFile, o);
  } finally {
    await unlock();
  }
}

async function rebuildCatalog(repo: Repository, src: PackStore, dest: PackStore, catalogFile: string, o: RecoverOptions): Promise<RecoverReport> {
  const catalog = new Catalog(catalogFile);
  try {
    if (catalog.allPoints().length > 0) throw new StoreError(`${catalogFile} already has recovery points: recover into a new data directory`);
    const same = src.location === dest.location;
    if (!same) await repo.initCopy(dest);
    const packs = (await src.list('packs/')).map((p) => ({ name: p.name.slice('packs/'.length), size: p.size }));
    const there = same ? new Set<string>() : new Set((await dest.list('packs/')).map((p) => p.name));
    let packsCopied = 0;
    const index = new Map<string, PackIndexEntry[]>();
    const skipped: string[] = [];
    for (const [i, p] of packs.entries()) {
      o.onProgress?.('packs', i, packs.length);
      // a pack that cannot be read (an upload cut off by a crash) is left out; points that
      // need its chunks are then skipped by name below
      try {
        index.set(p.name, await packIndex(src, repo, p.name, p.size));
        if (!same && !there.has(OBJECT.pack(p.name))) {
          await dest.put(OBJECT.pack(p.name), await src.get(OBJECT.pack(p.name)));
          packsCopied++;
        }
      } catch (e) {
        index.delete(p.name);
        skipped.push(`pack ${p.name}: ${(e as Error).message}`);
      }
    }
    o.onProgress?.('packs', packs.length, packs.length);

    const objects: { name: string; point: PointObject; image: Buffer }[] = [];
    for (const obj of await src.list('points/')) {
      try {
        const d = decodePointObject(await src.get(obj.name), obj.name, repo.cipher);
        objects.push({ name: obj.name, ...d });
      } catch (e) {
        skipped.push(`${obj.name}: ${(e as Error).message}`);
      }
    }
    objects.sort((a, b) => a.point.time.localeCompare(b.point.time) || a.name.localeCompare(b.name));

    const now = new Date().toISOString();
    const report = { from: src.location, into: dest.location, packsCopied, packs: index.size, chunks: 0, hosts: 0, hostNames: [] as string[], volumes: 0, points: 0, skipped };
    const pointObjects = new PointObjects(catalog.db);
    catalog.tx(() => {
      for (const p of packs) {
        if (!index.has(p.name)) continue;
        const id = catalog.insertPack(p.name, p.size, now);
        for (const e of index.get(p.name)!) catalog.insertChunk(e.hash, id, e.offset, e.length, e.rawLength, e.codec);
      }
      report.chunks = catalog.storeStats().chunks;
      const hosts = new Set<string>();
      const volumes = new Set<string>();
      /** the previous kept point of each volume: its id and image */
      const prev = new Map<string, { id: number; image: Buffer; blockCount: number }>();
      for (const { name, point: p, image } of objects) {
        const why = checkImage(catalog, p, image);
        if (why) {
          skipped.push(`${name} (${p.host}/${p.volume} ${p.time}): ${why}`);
          continue;
        }
        const host = catalog.hostByName(p.host) ?? catalog.upsertConfiguredHost(p.host, [], null, now);
        hosts.add(p.host);
        const vol = catalog.upsertVolume(host.id, p.volume, p.volumePath, p.size, p.blockSize);
        const key = `${p.host}/${p.volume}`;
        volumes.add(key);
        const before = prev.get(key);
        const entries: ManifestEntry[] = [];
        for (let i = 0; i < p.blockCount; i++) {
          const h = image.subarray(i * 32, i * 32 + 32);
          if (before && i < before.blockCount && before.image.subarray(i * 32, i * 32 + 32).equals(h)) continue;
          const zero = h.equals(zeroHash(blockLength(i, p.blockSize, p.size)));
          entries.push({ index: i, flags: zero ? FLAG_ZERO : 0, hash: h });
        }
        const id = catalog.insertPoint(
          {
            volumeId: vol.id,
            jobId: null,
            time: p.time,
            type: before ? 'incremental' : 'full',
            parentId: before ? before.id : null,
            size: p.size,
            blockSize: p.blockSize,
            blockCount: p.blockCount,
            changedBlocks: entries.length,
            bytesNew: 0,
            merkleRoot: p.merkleRoot,
          },
          encodeManifest(entries),
        );
        pointObjects.set(id, name.slice('points/'.length));
        prev.set(key, { id, image, blockCount: p.blockCount });
        report.points++;
      }
      report.hosts = hosts.size;
      report.hostNames = [...hosts].sort();
      report.volumes = volumes.size;
    });
    return report;
  } finally {
    catalog.close();
  }
}

/** Why a point object cannot be restored from these packs, or null. */
function checkImage(catalog: Catalog, p: PointObject, image: Buffer): string | null {
  if (image.length !== p.blockCount * 32) return `image has ${image.length / 32} blocks, expected ${p.blockCount}`;
  if (merkleRootPacked(image) !== p.merkleRoot) return 'the image does not give the recorded Merkle root';
  for (let i = 0; i < p.blockCount; i++) {
    const h = image.subarray(i * 32, i * 32 + 32);
    if (h.equals(zeroHash(blockLength(i, p.blockSize, p.size)))) continue;
    if (!catalog.hasChunk(h)) return `block ${i}: its chunk is in no pack`;
  }
  return null;
}
