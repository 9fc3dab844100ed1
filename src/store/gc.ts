// Garbage collection of the block store, online and resumable.
//
// 1. mark: every chunk a manifest references;
// 2. sweep: delete index rows of the others, in batches; before each batch (synchronously,
//    so nothing commits in between) the points committed since the mark are added and the
//    chunks running jobs rely on (BlockStore.pinnedChunks) are kept;
// 3. repack: copy the live chunks of mostly-dead packs into new packs, fsync, then in one
//    transaction register the new packs, point the index rows at them and drop the old pack
//    rows; unreferenced packs only lose their row;
// 4. cleanup: delete the old pack files (when no reader needs them).
// A kill at any moment leaves the catalog consistent: pack files it does not list are
// removed at the next start (BlockStore.recover), and a rerun does the rest.
import type { GcReportView } from '../protocol/maintenance.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BlockStore } from './block-store.js';
import { PACK_MAGIC, RECORD_HEADER_BYTES, PACK_TARGET_BYTES } from './chunk-writer.js';
import { chunkIntact } from './damage.js';
import { StoreError } from './errors.js';
import { ENTRY_BYTES, FLAG_ZERO } from './manifest.js';

export type GcPhase = 'mark' | 'sweep' | 'repack' | 'cleanup';

export interface GcProgress {
  phase: GcPhase;
  done: number;
  total: number;
}

export interface GcOptions {
  /** repack a pack when at least this share of its bytes is dead (default 0.5) */
  deadRatio?: number;
  /** read at most this many bytes per second while repacking (default unlimited) */
  bytesPerSecond?: number;
  onProgress?: (p: GcProgress) => void;
  /** whether old pack files may be deleted now (no restore is reading them) */
  canRemoveFiles?: () => boolean;
  /** called after each repack commit with its count (tests crash the hub here) */
  afterRepackCommit?: (n: number) => void;
  signal?: AbortSignal;
}

/** What a gc did (chunksPinned: kept only because a running job relies on them); the API adds its duration. */
export type GcReport = Omit<GcReportView, 'durationMs'>;

const SWEEP_BATCH = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function markManifest(into: Set<string>, manifest: Buffer): void {
  for (let o = 0; o + ENTRY_BYTES <= manifest.length; o += ENTRY_BYTES) {
    if (manifest[o + 4]! & FLAG_ZERO) continue;
    into.add(manifest.toString('hex', o + 5, o + ENTRY_BYTES));
  }
}

export async function collectGarbage(store: BlockStore, o: GcOptions = {}): Promise<GcReport> {
  const q = store.catalog.repos.maintenance;
  const progress = (phase: GcPhase, done: number, total: number) => o.onProgress?.({ phase, done, total });
  const checkAbort = () => {
    if (o.signal?.aborted) throw new StoreError('gc cancelled');
  };
  const bytesBefore = q.packBytes();

  // 1. mark
  progress('mark', 0, 1);
  const referenced = new Set<string>();
  let markedUpTo = q.maxPointId();
  for (const m of q.manifestsAfter(0)) markManifest(referenced, m);
  progress('mark', 1, 1);

  // 2. sweep
  const candidates = q.chunkHashes().filter((c) => !referenced.has(c.hash.toString('hex')));
  let chunksRemoved = 0;
  let chunksPinned = 0;
  for (let i = 0; i < candidates.length; i += SWEEP_BATCH) {
    checkAbort();
    const newest = q.maxPointId();
    for (const m of q.manifestsAfter(markedUpTo)) markManifest(referenced, m);
    markedUpTo = newest;
    const pinned = store.pinnedChunks();
    const doomed: Buffer[] = [];
    for (const c of candidates.slice(i, i + SWEEP_BATCH)) {
      const hex = c.hash.toString('hex');
      if (referenced.has(hex)) continue;
      if (pinned.has(hex)) chunksPinned++;
      else doomed.push(c.hash);
    }
    store.catalog.tx(() => q.deleteChunks(doomed));
    chunksRemoved += doomed.length;
    progress('sweep', Math.min(candidates.length, i + SWEEP_BATCH), candidates.length);
    await yieldToLoop();
  }

  // 3. repack
  const deadRatio = o.deadRatio ?? 0.5;
  const usage = q.packUsage(RECORD_HEADER_BYTES);
  const empty = usage.filter((p) => p.liveChunks === 0);
  const sparse = usage.filter((p) => p.liveChunks > 0 && (p.size - p.liveBytes - PACK_MAGIC.length) / p.size >= deadRatio);
  const retired: string[] = [];
  for (const p of empty) {
    store.catalog.tx(() => {
      if (q.chunksInPack(p.id) > 0) throw new StoreError(`pack ${p.name} gained chunks during gc`);
      q.deletePack(p.id);
    });
    retired.push(p.name);
  }
  let packsWritten = 0;
  let commits = 0;
  let done = 0;
  const started = Date.now();
  let bytesRead = 0;
  for (let i = 0; i < sparse.length; ) {
    checkAbort();
    const writer = store.newWriter();
    const group: { id: number; name: string }[] = [];
    const moves: { hash: Buffer; from: number }[] = [];
    const damaged: { hash: Buffer; from: number }[] = [];
    try {
      while (i < sparse.length && (group.length === 0 || writer.bytesWritten + sparse[i]!.liveBytes <= PACK_TARGET_BYTES)) {
        const p = sparse[i++]!;
        for (const ch of q.chunksOfPack(p.id)) {
          const stored = await store.readStored(p.name, ch.offset, ch.length);
          if (stored.length !== ch.length) throw new StoreError(`gc: pack ${p.name} is truncated at offset ${ch.offset}`);
          // re-encrypted with the new pack's key (an encrypted store derives a key per pack)
          let plain: Buffer | null = null;
          try {
            plain = store.openStored(p.name, ch.hash, stored);
          } catch {
            plain = null;
          }
          // a damaged chunk is not copied: it is marked, loses its index row, and the next backup of its block heals it
          if (plain === null || !chunkIntact(plain, ch.codec, ch.rawLength, ch.hash)) {
            store.damage.mark(ch.hash, `gc: chunk in pack ${p.name} at offset ${ch.offset} is damaged (hash mismatch)`);
            damaged.push({ hash: ch.hash, from: p.id });
            continue;
          }
          writer.put(ch.hash, ch.codec, ch.rawLength, plain);
          moves.push({ hash: ch.hash, from: p.id });
          bytesRead += ch.length;
        }
        group.push({ id: p.id, name: p.name });
        progress('repack', ++done, sparse.length);
        if (o.bytesPerSecond) {
          const ahead = (bytesRead / o.bytesPerSecond) * 1000 - (Date.now() - started);
          if (ahead > 0) await sleep(ahead);
        }
        await yieldToLoop();
        checkAbort();
      }
      writer.seal();
      await store.storeWriter(writer);
    } catch (e) {
      store.discardWriter(writer);
      throw e;
    }
    const sealed = writer.sealed();
    store.catalog.tx(() => {
      const ids = new Map<string, number>();
      for (const p of sealed.packs) ids.set(p.name, store.catalog.insertPack(p.name, p.size, new Date().toISOString()));
      const where = new Map(sealed.chunks.map((c) => [c.hash.toString('hex'), c]));
      for (const m of moves) {
        const to = where.get(m.hash.toString('hex'))!;
        q.moveChunk(m.hash, m.from, ids.get(to.packName)!, to.offset);
      }
      for (const d of damaged) if (store.catalog.chunk(d.hash)?.packId === d.from) store.catalog.repos.damage.forgetChunk(d.hash);
      for (const g of group) {
        if (q.chunksInPack(g.id) > 0) throw new StoreError(`gc: pack ${g.name} still holds chunks after the repack`);
        q.deletePack(g.id);
      }
    });
    packsWritten += sealed.packs.length;
    retired.push(...group.map((g) => g.name));
    o.afterRepackCommit?.(++commits);
  }

  // 4. cleanup: unregistered files are garbage; a restore may still be reading them
  for (let k = 0; k < retired.length; k++) {
    while (o.canRemoveFiles && !o.canRemoveFiles()) await sleep(200);
    await store.removePack(retired[k]!);
    progress('cleanup', k + 1, retired.length);
  }
  const bytesAfter = q.packBytes();
  return {
    chunksRemoved,
    chunksPinned,
    packsRepacked: sparse.length,
    packsDropped: empty.length,
    packsWritten,
    bytesBefore,
    bytesAfter,
    bytesFreed: bytesBefore - bytesAfter,
  };
}
