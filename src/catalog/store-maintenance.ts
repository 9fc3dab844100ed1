// Catalog queries of store maintenance: rewriting and deleting recovery points, marking
// them verified, and the chunk and pack bookkeeping of garbage collection.
import type { Db } from './columns.js';

export interface PointRewrite {
  id: number;
  type: 'full' | 'incremental';
  parentId: number | null;
  manifest: Buffer;
  changedBlocks: number;
}

export interface PackUsage {
  id: number;
  name: string;
  size: number;
  liveChunks: number;
  /** bytes of live records: header + stored bytes */
  liveBytes: number;
}

export interface PackedChunk {
  hash: Buffer;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}

type Raw = Record<string, unknown>;

export class StoreMaintenance {
  constructor(private readonly db: Db) {}

  childrenOf(pointId: number): number[] {
    return (this.db.prepare('SELECT id FROM points WHERE parent_id = ? ORDER BY id').all(pointId) as { id: number }[]).map((r) => r.id);
  }

  rewritePoint(p: PointRewrite): void {
    this.db
      .prepare('UPDATE points SET type = ?, parent_id = ?, manifest = ?, changed_blocks = ? WHERE id = ?')
      .run(p.type, p.parentId, p.manifest, p.changedBlocks, p.id);
  }

  deletePoint(id: number): void {
    this.db.prepare('DELETE FROM points WHERE id = ?').run(id);
  }

  setVerifiedAt(pointId: number, iso: string): void {
    this.db.prepare('UPDATE points SET verified_at = ? WHERE id = ?').run(iso, pointId);
  }

  maxPointId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM points').get() as { m: number }).m;
  }

  /** Manifests of points with id above `afterId` (all points for 0). */
  *manifestsAfter(afterId: number): Generator<Buffer> {
    for (const r of this.db.prepare('SELECT manifest FROM points WHERE id > ? ORDER BY id').iterate(afterId) as Iterable<{ manifest: Buffer }>) yield r.manifest;
  }

  /** Every chunk hash with its stored length. */
  chunkHashes(): { hash: Buffer; length: number }[] {
    return this.db.prepare('SELECT hash, length FROM chunks').all() as { hash: Buffer; length: number }[];
  }

  deleteChunks(hashes: Buffer[]): void {
    const st = this.db.prepare('DELETE FROM chunks WHERE hash = ?');
    for (const h of hashes) st.run(h);
  }

  packUsage(recordHeaderBytes: number): PackUsage[] {
    const rows = this.db
      .prepare(
        `SELECT p.id, p.name, p.size, COUNT(c.hash) AS n, COALESCE(SUM(c.length), 0) AS b
         FROM packs p LEFT JOIN chunks c ON c.pack_id = p.id GROUP BY p.id ORDER BY p.id`,
      )
      .all() as Raw[];
    return rows.map((r) => ({
      id: Number(r.id),
      name: String(r.name),
      size: Number(r.size),
      liveChunks: Number(r.n),
      liveBytes: Number(r.b) + Number(r.n) * recordHeaderBytes,
    }));
  }

  chunksOfPack(packId: number): PackedChunk[] {
    return (this.db.prepare('SELECT hash, offset, length, raw_length, codec FROM chunks WHERE pack_id = ?').all(packId) as Raw[]).map((r) => ({
      hash: r.hash as Buffer,
      offset: Number(r.offset),
      length: Number(r.length),
      rawLength: Number(r.raw_length),
      codec: Number(r.codec),
    }));
  }

  moveChunk(hash: Buffer, fromPackId: number, toPackId: number, offset: number): number {
    return this.db.prepare('UPDATE chunks SET pack_id = ?, offset = ? WHERE hash = ? AND pack_id = ?').run(toPackId, offset, hash, fromPackId).changes;
  }

  chunksInPack(packId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM chunks WHERE pack_id = ?').get(packId) as { n: number }).n;
  }

  deletePack(packId: number): void {
    this.db.prepare('DELETE FROM packs WHERE id = ?').run(packId);
  }

  packBytes(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(size), 0) AS b FROM packs').get() as { b: number }).b;
  }
}
