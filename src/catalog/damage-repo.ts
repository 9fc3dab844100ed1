// Damage and provenance in the catalog: chunks that failed their hash (or went missing), the
// points relying on them, and the marks of what verify, restores and drills proved per point.
import type { Db } from './columns.js';
import type { PointMarks } from './points-repo.js';

export interface DamagedChunk {
  hash: Buffer;
  foundAt: string;
  detail: string;
}

export class DamageRepo {
  constructor(private readonly db: Db) {}

  /** Record a damaged chunk; false when it was already recorded. */
  markChunk(hash: Buffer, detail: string, now: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO damaged_chunks (hash, found_at, detail) VALUES (?, ?, ?)').run(hash, now, detail).changes > 0;
  }

  clearChunk(hash: Buffer): boolean {
    return this.db.prepare('DELETE FROM damaged_chunks WHERE hash = ?').run(hash).changes > 0;
  }

  chunks(): DamagedChunk[] {
    return (this.db.prepare('SELECT hash, found_at, detail FROM damaged_chunks ORDER BY found_at').all() as { hash: Buffer; found_at: string; detail: string }[]).map((r) => ({
      hash: r.hash,
      foundAt: r.found_at,
      detail: r.detail,
    }));
  }

  /** A healed chunk: the index points at the new good copy, whether or not it had a row. */
  relocateChunk(hash: Buffer, packId: number, offset: number, length: number, rawLength: number, codec: number): void {
    this.db
      .prepare(
        `INSERT INTO chunks (hash, pack_id, offset, length, raw_length, codec) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(hash) DO UPDATE SET pack_id = excluded.pack_id, offset = excluded.offset, length = excluded.length, raw_length = excluded.raw_length, codec = excluded.codec`,
      )
      .run(hash, packId, offset, length, rawLength, codec);
  }

  /** Drop a chunk's index row (its bytes are bad; the next backup that has it sends it again). */
  forgetChunk(hash: Buffer): void {
    this.db.prepare('DELETE FROM chunks WHERE hash = ?').run(hash);
  }

  damagedPointIds(): number[] {
    return (this.db.prepare('SELECT id FROM points WHERE damaged = 1 ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  /** Set the damaged flag of exactly these points; returns the ids whose flag changed. */
  setDamagedPoints(ids: ReadonlySet<number>): number[] {
    const changed: number[] = [];
    const rows = this.db.prepare('SELECT id, damaged FROM points').all() as { id: number; damaged: number }[];
    const st = this.db.prepare('UPDATE points SET damaged = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) {
        const want = ids.has(r.id) ? 1 : 0;
        if (r.damaged === want) continue;
        st.run(want, r.id);
        changed.push(r.id);
      }
    })();
    return changed;
  }

  /** A passing verify: when, and which share of the point's chunks it read. */
  setVerified(pointId: number, iso: string, fraction: number): void {
    this.db.prepare('UPDATE points SET verified_at = ?, verified_fraction = ? WHERE id = ?').run(iso, fraction, pointId);
  }

  /** Merge marks into a point's provenance. */
  addMarks(pointId: number, marks: PointMarks): void {
    const r = this.db.prepare('SELECT provenance FROM points WHERE id = ?').get(pointId) as { provenance: string } | undefined;
    if (!r) return;
    let cur: PointMarks = {};
    try {
      cur = JSON.parse(r.provenance) as PointMarks;
    } catch {
      /* a mangled mark is replaced */
    }
    this.db.prepare('UPDATE points SET provenance = ? WHERE id = ?').run(JSON.stringify({ ...cur, ...marks }), pointId);
  }
}
