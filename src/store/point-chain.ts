// Editing chains of recovery points without copying data: deleting a point merges its delta
// into its children so every remaining point keeps its exact image; consolidation turns a
// point into a synthetic full (a manifest listing every block) so its chain can be cut.
import type { PointObjects } from '../catalog/copy-store.js';
import type { StoreMaintenance } from '../catalog/store-maintenance.js';
import type { BlockStore } from './block-store.js';
import { StoreError } from './errors.js';
import { ENTRY_BYTES, encodeManifest, type ManifestEntry } from './manifest.js';

/** The manifest of a point's whole image: one entry per block. */
export function fullManifest(store: BlockStore, pointId: number): Buffer {
  const map = store.blockMap(pointId);
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < map.point.blockCount; i++) entries.push({ index: i, flags: map.flags[i]!, hash: map.hashes.subarray(i * 32, i * 32 + 32) });
  return encodeManifest(entries);
}

/**
 * The child's delta relative to its grandparent: the child's entries, plus the parent's
 * entries for blocks the child did not change (and that still exist in the child).
 */
export function mergeManifests(parent: Buffer, child: Buffer, childBlockCount: number): Buffer {
  const out = Buffer.allocUnsafe(parent.length + child.length);
  let o = 0;
  let p = 0;
  let c = 0;
  const idx = (b: Buffer, at: number) => b.readUInt32LE(at);
  while (p < parent.length || c < child.length) {
    const pi = p < parent.length ? idx(parent, p) : Infinity;
    const ci = c < child.length ? idx(child, c) : Infinity;
    if (ci <= pi) {
      child.copy(out, o, c, c + ENTRY_BYTES);
      o += ENTRY_BYTES;
      c += ENTRY_BYTES;
      if (ci === pi) p += ENTRY_BYTES;
    } else {
      if (pi < childBlockCount) {
        parent.copy(out, o, p, p + ENTRY_BYTES);
        o += ENTRY_BYTES;
      }
      p += ENTRY_BYTES;
    }
  }
  return out.subarray(0, o);
}

export class PointChains {
  private readonly q: StoreMaintenance;
  private readonly objects: PointObjects;
  constructor(private readonly store: BlockStore) {
    this.q = store.catalog.repos.maintenance;
    this.objects = store.catalog.repos.pointObjects;
  }

  /** How many deltas sit between a point and the full its chain starts from. */
  depth(pointId: number): number {
    let d = 0;
    let p = this.store.catalog.point(pointId);
    while (p && p.type !== 'full' && p.parentId !== null) {
      d++;
      p = this.store.catalog.point(p.parentId);
    }
    return d;
  }

  /**
   * Delete a point; its children keep their images (one transaction). The newest point of a
   * volume is refused: agents send their next incremental against it.
   */
  delete(pointId: number): { updated: number[] } {
    const c = this.store.catalog;
    const p = c.point(pointId);
    if (!p) throw new StoreError(`recovery point ${pointId} does not exist`);
    if (c.latestPoint(p.volumeId)?.id === p.id) throw new StoreError(`recovery point ${pointId} is the newest of its volume; it cannot be deleted`);
    const isBase = p.type === 'full' || p.parentId === null;
    const rewrites = this.q.childrenOf(p.id).map((childId) => {
      const child = c.point(childId)!;
      if (isBase) {
        const manifest = fullManifest(this.store, childId);
        return { id: childId, type: 'full' as const, parentId: null, manifest, changedBlocks: manifest.length / ENTRY_BYTES };
      }
      const manifest = mergeManifests(c.manifest(p.id), c.manifest(childId), child.blockCount);
      return { id: childId, type: 'incremental' as const, parentId: p.parentId, manifest, changedBlocks: manifest.length / ENTRY_BYTES };
    });
    const object = this.objects.nameOf(p.id);
    c.tx(() => {
      for (const r of rewrites) this.q.rewritePoint(r);
      this.q.deletePoint(p.id);
    });
    // the point object goes too, so a catalog rebuilt from the store does not bring it back
    if (object) this.store.dropPointObject(object);
    return { updated: rewrites.map((r) => r.id) };
  }

  /** Make a point a synthetic full: its manifest lists every block; no chunk is copied. */
  consolidate(pointId: number): void {
    const p = this.store.catalog.point(pointId);
    if (!p) throw new StoreError(`recovery point ${pointId} does not exist`);
    if (p.type === 'full') return;
    const manifest = fullManifest(this.store, pointId);
    this.store.catalog.tx(() => this.q.rewritePoint({ id: p.id, type: 'full', parentId: null, manifest, changedBlocks: manifest.length / ENTRY_BYTES }));
  }
}
