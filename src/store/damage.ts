// Damage containment: the chunks that failed their hash (or went missing) anywhere they were
// read, and the points whose image relies on one. A damaged chunk is never reused by a backup,
// so the next backup that holds its block sends it again and heals it.
import { createHash } from 'node:crypto';
import { decompress } from 'zstd-napi';
import type { Catalog, PointRow } from '../catalog/catalog.js';
import { manifestEntries } from './manifest.js';

/** One settled round of damage news: what was found or healed, and the points it changed. */
export interface DamageNews {
  found: { hash: string; detail: string }[];
  healed: string[];
  /** points that became damaged, and those no longer damaged */
  damagedPoints: number[];
  clearedPoints: number[];
}

export interface DamagedBlock {
  index: number;
  hash: Buffer;
}

export class DamageLedger {
  private readonly hexes: Set<string>;
  private pending: DamageNews = { found: [], healed: [], damagedPoints: [], clearedPoints: [] };
  private scheduled = false;
  /** told once per settled round (the hub raises events and alarms from it) */
  onNews: ((n: DamageNews) => void) | null = null;

  constructor(
    private readonly catalog: Catalog,
    private readonly imageOf: (pointId: number) => { hashes: Buffer; flags: Uint8Array },
  ) {
    this.hexes = new Set(catalog.repos.damage.chunks().map((c) => c.hash.toString('hex')));
    if (this.hexes.size > 0) this.schedule();
  }

  has(hash: Buffer): boolean {
    return this.hexes.size > 0 && this.hexes.has(hash.toString('hex'));
  }

  hasHex(hex: string): boolean {
    return this.hexes.has(hex);
  }

  size(): number {
    return this.hexes.size;
  }

  /** Record a chunk as damaged at once; the points relying on it are marked when the round settles. */
  mark(hash: Buffer, detail: string): void {
    const hex = hash.toString('hex');
    if (this.hexes.has(hex)) return;
    this.hexes.add(hex);
    this.catalog.repos.damage.markChunk(hash, detail, new Date().toISOString());
    this.pending.found.push({ hash: hex, detail });
    this.schedule();
  }

  /** Called inside the transaction that gives a damaged chunk a new good copy. */
  healInTx(hash: Buffer, loc: { packId: number; offset: number; length: number; rawLength: number; codec: number }): void {
    const d = this.catalog.repos.damage;
    d.relocateChunk(hash, loc.packId, loc.offset, loc.length, loc.rawLength, loc.codec);
    d.clearChunk(hash);
  }

  /** After that transaction committed: forget the damage in memory. */
  healed(hashes: readonly Buffer[]): void {
    if (hashes.length === 0) return;
    for (const h of hashes) {
      const hex = h.toString('hex');
      if (this.hexes.delete(hex)) this.pending.healed.push(hex);
    }
    this.schedule();
  }

  /** A full read found the chunk good after all (only a full verify may say so). */
  clear(hash: Buffer): void {
    const hex = hash.toString('hex');
    if (!this.hexes.delete(hex)) return;
    this.catalog.repos.damage.clearChunk(hash);
    this.pending.healed.push(hex);
    this.schedule();
  }

  /** The damaged blocks of an image (hashes and flags as from blockMap); zero blocks have none. */
  damagedBlocks(image: { hashes: Buffer; flags: Uint8Array }, zeroFlag: number): DamagedBlock[] {
    if (this.hexes.size === 0) return [];
    const out: DamagedBlock[] = [];
    for (let i = 0; i < image.flags.length; i++) {
      if (image.flags[i]! & zeroFlag) continue;
      const h = image.hashes.subarray(i * 32, i * 32 + 32);
      if (this.hexes.has(h.toString('hex'))) out.push({ index: i, hash: Buffer.from(h) });
    }
    return out;
  }

  /** Mark and clear the points' damaged flags now and tell the listener. */
  settle(): DamageNews {
    this.scheduled = false;
    const changed = this.catalog.repos.damage.setDamagedPoints(this.damagedPointIds());
    const now = new Set(this.catalog.repos.damage.damagedPointIds());
    const news: DamageNews = {
      ...this.pending,
      damagedPoints: changed.filter((id) => now.has(id)),
      clearedPoints: changed.filter((id) => !now.has(id)),
    };
    this.pending = { found: [], healed: [], damagedPoints: [], clearedPoints: [] };
    if (news.found.length || news.healed.length || changed.length) this.onNews?.(news);
    return news;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      // a catalog closed meanwhile (hub stopping) keeps the chunk marks; points are marked at the next start
      if (this.scheduled && this.catalog.db.open) this.settle();
    });
  }

  /**
   * Points whose image holds a damaged chunk. Only points whose chain mentions one in a
   * manifest are rebuilt; a later delta may have replaced the block, so the image decides.
   */
  private damagedPointIds(): Set<number> {
    const out = new Set<number>();
    if (this.hexes.size === 0) return out;
    const points = this.catalog.allPoints();
    const byId = new Map<number, PointRow>(points.map((p) => [p.id, p]));
    const mentions = new Set<number>();
    for (const p of points) {
      for (const e of manifestEntries(this.catalog.manifest(p.id))) {
        if (this.hexes.has(e.hash.toString('hex'))) {
          mentions.add(p.id);
          break;
        }
      }
    }
    if (mentions.size === 0) return out;
    for (const p of points) {
      let q: PointRow | undefined = p;
      let candidate = false;
      while (q) {
        if (mentions.has(q.id)) candidate = true;
        if (candidate || q.type === 'full' || q.parentId === null) break;
        q = byId.get(q.parentId);
      }
      if (!candidate) continue;
      try {
        if (this.damagedBlocks(this.imageOf(p.id), 0).length > 0) out.add(p.id);
      } catch {
        out.add(p.id); // a chain that no longer rebuilds is damaged too
      }
    }
    return out;
  }
}

/** "block 7" or "blocks 3, 7-9 (4 blocks)": ranges, at most a dozen of them. */
export function describeBlocks(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  if (sorted.length === 1) return `block ${sorted[0]}`;
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  const shown = ranges.length > 12 ? [...ranges.slice(0, 12), '…'] : ranges;
  return `blocks ${shown.join(', ')} (${sorted.length} blocks)`;
}

/** Whether a chunk's stored bytes still decompress to its length and hash (codec 1: zstd). */
export function chunkIntact(stored: Buffer, codec: number, rawLength: number, hash: Buffer): boolean {
  let raw: Buffer;
  try {
    raw = codec === 1 ? decompress(stored) : stored;
  } catch {
    return false;
  }
  return raw.length === rawLength && createHash('sha256').update(raw).digest().equals(hash);
}
