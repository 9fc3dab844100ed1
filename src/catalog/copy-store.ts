// Queries of storage beyond one disk: the object each point was stored as, which copies hold
// which points (and the packs each held point needs there), and copy runs.
import type { Db } from './catalog.js';
import type { CopyRunView } from '../protocol/storage.js';

/** A copy run as stored is exactly its operator view. */
export type CopyRunRow = CopyRunView;

export class PointObjects {
  constructor(private readonly db: Db) {}

  set(pointId: number, name: string): void {
    this.db.prepare('INSERT OR REPLACE INTO point_objects (point_id, name) VALUES (?, ?)').run(pointId, name);
  }

  nameOf(pointId: number): string | undefined {
    return (this.db.prepare('SELECT name FROM point_objects WHERE point_id = ?').get(pointId) as { name: string } | undefined)?.name;
  }
}

/** A point a copy holds, as the copy's retention sees it (it may outlive the hub's point). */
export interface HeldPointRow {
  /** the point object's name in the copy (`points/…`) */
  object: string;
  /** the hub's point, while it exists */
  pointId: number | null;
  host: string;
  volume: string;
  /** when the point was taken (ISO 8601) */
  time: string;
  copiedAt: string;
  /** an immutable copy keeps the point's objects until then (ISO 8601) */
  retainUntil: string | null;
  packs: string[];
}

export class CopyRecords {
  private readonly copiesOfStmt;
  constructor(private readonly db: Db) {
    this.copiesOfStmt = db.prepare('SELECT copy FROM copy_points WHERE point_id = ? AND pruned_at IS NULL ORDER BY copy').pluck();
  }

  pointCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  }

  /** points the copy does not hold yet and has not let go of, oldest first */
  missingPoints(copy: string): number[] {
    return (this.db.prepare('SELECT id FROM points WHERE id NOT IN (SELECT point_id FROM copy_points WHERE copy = ?) ORDER BY id').all(copy) as { id: number }[]).map((r) => r.id);
  }

  markCopied(copy: string, pointId: number, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO copy_points (copy, point_id, copied_at) VALUES (?, ?, ?)').run(copy, pointId, at);
  }

  /** the copy's keep rules let this point go before it was copied: it is not copied later */
  markSkipped(copy: string, pointId: number, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO copy_points (copy, point_id, copied_at, pruned_at) VALUES (?, ?, ?, ?)').run(copy, pointId, at, at);
  }

  /** what the copy now holds for a point: its object and every pack its chunks are in there */
  recordHeld(copy: string, h: Omit<HeldPointRow, 'packs'>, packs: Iterable<string>): void {
    this.db
      .prepare('INSERT OR REPLACE INTO copy_held (copy, object, point_id, host, volume, time, copied_at, retain_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(copy, h.object, h.pointId, h.host, h.volume, h.time, h.copiedAt, h.retainUntil);
    const st = this.db.prepare('INSERT OR IGNORE INTO copy_held_packs (copy, object, pack) VALUES (?, ?, ?)');
    for (const p of packs) st.run(copy, h.object, p);
  }

  /** every point object the copy holds */
  heldPoints(copy: string): Omit<HeldPointRow, 'packs'>[] {
    const rows = this.db.prepare('SELECT * FROM copy_held WHERE copy = ? ORDER BY time').all(copy) as Record<string, unknown>[];
    return rows.map((r) => ({
      object: String(r.object),
      pointId: r.point_id === null ? null : Number(r.point_id),
      host: String(r.host),
      volume: String(r.volume),
      time: String(r.time),
      copiedAt: String(r.copied_at),
      retainUntil: r.retain_until === null ? null : String(r.retain_until),
    }));
  }

  /** points marked held in copy_points that have no copy_held row (copied before it existed) */
  unrecordedHeld(copy: string): number[] {
    return this.db
      .prepare('SELECT point_id FROM copy_points c WHERE copy = ? AND pruned_at IS NULL AND NOT EXISTS (SELECT 1 FROM copy_held h WHERE h.copy = c.copy AND h.point_id = c.point_id)')
      .pluck()
      .all(copy) as number[];
  }

  /** packs of this held point that no other point the copy holds needs */
  packsOnlyOf(copy: string, object: string): string[] {
    return this.db
      .prepare('SELECT pack FROM copy_held_packs a WHERE copy = ? AND object = ? AND NOT EXISTS (SELECT 1 FROM copy_held_packs b WHERE b.copy = a.copy AND b.pack = a.pack AND b.object <> a.object)')
      .pluck()
      .all(copy, object) as string[];
  }

  /** the copy no longer holds this point (its objects are deleted) */
  forgetHeld(copy: string, object: string, at: string): void {
    const pointId = this.db.prepare('SELECT point_id FROM copy_held WHERE copy = ? AND object = ?').pluck().get(copy, object) as number | null | undefined;
    this.db.prepare('DELETE FROM copy_held_packs WHERE copy = ? AND object = ?').run(copy, object);
    this.db.prepare('DELETE FROM copy_held WHERE copy = ? AND object = ?').run(copy, object);
    if (pointId != null) this.db.prepare('UPDATE copy_points SET pruned_at = ? WHERE copy = ? AND point_id = ?').run(at, copy, pointId);
  }

  copiesOf(pointId: number): string[] {
    return this.copiesOfStmt.all(pointId) as string[];
  }

  /** every point's copies at once (views of many points) */
  allCopies(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const r of this.db.prepare('SELECT point_id, copy FROM copy_points WHERE pruned_at IS NULL ORDER BY copy').all() as { point_id: number; copy: string }[]) {
      const l = out.get(r.point_id) ?? [];
      l.push(r.copy);
      out.set(r.point_id, l);
    }
    return out;
  }

  held(copy: string): { points: number; newestTime: string | null } {
    const r = this.db
      .prepare('SELECT COUNT(*) AS n, MAX(p.time) AS t FROM copy_points c JOIN points p ON p.id = c.point_id WHERE c.copy = ? AND c.pruned_at IS NULL')
      .get(copy) as { n: number; t: string | null };
    return { points: r.n, newestTime: r.t };
  }

  /** the oldest point the copy lacks (its lag starts there) */
  oldestMissingTime(copy: string): string | null {
    const r = this.db.prepare('SELECT MIN(time) AS t FROM points WHERE id NOT IN (SELECT point_id FROM copy_points WHERE copy = ?)').get(copy) as { t: string | null };
    return r.t;
  }

  startRun(copy: string, origin: string, at: string): number {
    return Number(this.db.prepare("INSERT INTO copy_runs (copy, origin, started_at, state) VALUES (?, ?, ?, 'running')").run(copy, origin, at).lastInsertRowid);
  }

  progressRun(id: number, points: number, packs: number, bytes: number): void {
    this.db.prepare('UPDATE copy_runs SET points = ?, packs = ?, bytes = ? WHERE id = ?').run(points, packs, bytes, id);
  }

  finishRun(id: number, at: string, error: string | null, pruned = 0, note: string | null = null): void {
    this.db.prepare('UPDATE copy_runs SET finished_at = ?, state = ?, error = ?, pruned = ?, note = ? WHERE id = ?').run(at, error ? 'failed' : 'succeeded', error, pruned, note, id);
  }

  /** a hub stopped during a run: the run failed (the next one resumes) */
  failRunning(at: string): void {
    this.db.prepare("UPDATE copy_runs SET finished_at = ?, state = 'failed', error = 'hub stopped during the copy' WHERE state = 'running'").run(at);
  }

  lastRun(copy: string): CopyRunRow | undefined {
    const r = this.db.prepare('SELECT * FROM copy_runs WHERE copy = ? ORDER BY id DESC LIMIT 1').get(copy) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      id: Number(r.id),
      copy: String(r.copy),
      origin: String(r.origin),
      startedAt: String(r.started_at),
      finishedAt: r.finished_at === null ? null : String(r.finished_at),
      state: r.state as CopyRunRow['state'],
      points: Number(r.points),
      packs: Number(r.packs),
      bytes: Number(r.bytes),
      error: r.error === null ? null : String(r.error),
      pruned: Number(r.pruned),
      note: r.note === null ? null : String(r.note),
    };
  }

  /** pack names holding the chunks of these hashes */
  packsOfChunks(hashes: Iterable<Buffer>): Set<string> {
    const st = this.db.prepare('SELECT p.name FROM chunks c JOIN packs p ON p.id = c.pack_id WHERE c.hash = ?').pluck();
    const out = new Set<string>();
    for (const h of hashes) {
      const n = st.get(h) as string | undefined;
      if (n) out.add(n);
    }
    return out;
  }

  packSize(name: string): number | undefined {
    return (this.db.prepare('SELECT size FROM packs WHERE name = ?').get(name) as { size: number } | undefined)?.size;
  }
}
