// Repair of damaged chunks from outside the store: where the points' images hold each damaged
// chunk (volume and block, so an agent can read that block again), a good copy of a chunk
// fetched from a copy target (copies hold packs byte for byte), and healing: good chunks are
// written to a new pack and the index is pointed at them in one transaction.
import type { BlockStore } from './block-store.js';
import { chunkIntact } from './damage.js';
import { FLAG_ZERO } from './manifest.js';
import { decodePackIndex, readTrailer, TRAILER_BYTES } from './pack-index.js';
import { OBJECT, type PackStore } from './pack-store.js';

export interface DamagedSite {
  volumeId: number;
  index: number;
}

export interface DamagedChunkSites {
  hash: Buffer;
  hex: string;
  detail: string;
  /** blocks of points' images that hold it, newest point first */
  sites: DamagedSite[];
}

/** A good chunk as the store keeps it: its payload compressed per codec, not encrypted. */
export interface GoodChunk {
  hash: Buffer;
  codec: number;
  rawLength: number;
  payload: Buffer;
}

/** Every damaged chunk and the blocks of the damaged points' images that hold it. */
export function damagedChunkSites(store: BlockStore): DamagedChunkSites[] {
  const out = new Map<string, DamagedChunkSites & { seen: Set<string> }>();
  for (const d of store.catalog.repos.damage.chunks()) {
    const hex = d.hash.toString('hex');
    out.set(hex, { hash: d.hash, hex, detail: d.detail, sites: [], seen: new Set() });
  }
  if (out.size === 0) return [];
  for (const p of store.catalog.allPoints().filter((x) => x.damaged).reverse()) {
    let blocks;
    try {
      blocks = store.damage.damagedBlocks(store.blockMap(p.id), FLAG_ZERO);
    } catch {
      continue; // a chain that no longer rebuilds names no blocks
    }
    for (const b of blocks) {
      const e = out.get(b.hash.toString('hex'));
      const key = `${p.volumeId}:${b.index}`;
      if (!e || e.seen.has(key)) continue;
      e.seen.add(key);
      e.sites.push({ volumeId: p.volumeId, index: b.index });
    }
  }
  return [...out.values()].map(({ seen: _seen, ...e }) => e);
}

/** Write good copies of damaged chunks and point the index at them; returns the hashes healed. */
export async function healChunks(store: BlockStore, chunks: readonly GoodChunk[]): Promise<Buffer[]> {
  const todo = chunks.filter((c) => store.damage.has(c.hash));
  if (todo.length === 0) return [];
  const w = store.newWriter();
  try {
    for (const c of todo) w.put(c.hash, c.codec, c.rawLength, c.payload);
    w.seal();
    await store.storeWriter(w);
  } catch (e) {
    store.discardWriter(w);
    throw e;
  }
  const sealed = w.sealed();
  const healed: Buffer[] = [];
  store.catalog.tx(() => {
    const now = new Date().toISOString();
    const ids = new Map(sealed.packs.map((p) => [p.name, store.catalog.insertPack(p.name, p.size, now)]));
    for (const c of sealed.chunks) {
      if (!store.damage.has(c.hash)) continue; // healed meanwhile by a backup
      store.damage.healInTx(c.hash, { packId: ids.get(c.packName)!, offset: c.offset, length: c.length, rawLength: c.rawLength, codec: c.codec });
      healed.push(c.hash);
    }
  });
  store.damage.healed(healed);
  return healed;
}

/** The stored bytes at a location of a copy, checked: the good chunk, or null. */
async function readFromCopy(store: BlockStore, target: PackStore, hash: Buffer, at: { packName: string; offset: number; length: number; codec: number; rawLength: number }): Promise<GoodChunk | null> {
  try {
    const stored = await target.get(OBJECT.pack(at.packName), at.offset, at.length);
    if (stored.length !== at.length) return null;
    const payload = store.openStored(at.packName, hash, stored);
    return chunkIntact(payload, at.codec, at.rawLength, hash) ? { hash, codec: at.codec, rawLength: at.rawLength, payload } : null;
  } catch {
    return null; // the copy lacks the pack, or its bytes are bad too
  }
}

/**
 * Good copies of damaged chunks found in a copy target: at the chunk's indexed location, or,
 * for a chunk whose index row gc dropped, by reading the copy's pack index sections.
 */
export async function chunksFromCopy(store: BlockStore, target: PackStore, hashes: readonly Buffer[]): Promise<GoodChunk[]> {
  const found: GoodChunk[] = [];
  const unindexed = new Map<string, Buffer>();
  for (const hash of hashes) {
    const loc = store.catalog.chunk(hash);
    if (!loc) {
      unindexed.set(hash.toString('hex'), hash);
      continue;
    }
    const good = await readFromCopy(store, target, hash, loc);
    if (good) found.push(good);
    else unindexed.set(hash.toString('hex'), hash);
  }
  if (unindexed.size === 0) return found;
  for (const obj of await target.list('packs/')) {
    if (unindexed.size === 0) break;
    const packName = obj.name.slice('packs/'.length);
    try {
      const where = readTrailer(await target.get(obj.name, obj.size - TRAILER_BYTES, TRAILER_BYTES), obj.size);
      if (!where) continue;
      const entries = decodePackIndex(await target.get(obj.name, where.offset, where.length), store.packKey(packName), packName);
      for (const e of entries) {
        const hash = unindexed.get(e.hash.toString('hex'));
        if (!hash) continue;
        const good = await readFromCopy(store, target, hash, { packName, offset: e.offset, length: e.length, codec: e.codec, rawLength: e.rawLength });
        if (!good) continue;
        found.push(good);
        unindexed.delete(e.hash.toString('hex'));
      }
    } catch {
      continue; // a pack whose index does not read is no source
    }
  }
  return found;
}
