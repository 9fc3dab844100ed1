// Queries of storage beyond one disk: the object each point was stored as, which copies hold
// which points, and copy runs.
import type { Db } from './catalog.js';

export interface CopyRunRow {
  id: number;
  copy: string;
  origin: string;
  startedAt: string;
  finishedAt: string | null;
  state: 'running' | 'succeeded' | 'failed';
  points: number;
  packs: number;
  bytes: number;
  error: string | null;
}

export class PointObjects {
  constructor(private readonly db: Db) {}

  set(pointId: number, name: string): void {
    this.db.prepare('INSERT OR REPLACE INTO point_objects (point_id, name) VALUES (?, ?)').run(pointId, name);
  }

  nameOf(pointId: number): string | undefined {
    return (this.db.prepare('SELECT name FROM point_objects WHERE point_id = ?').get(pointId) as { name: string } | undefined)?.name;
  }
}

export class CopyRecords {
  private readonly copiesOfStmt;
  constructor(private readonly db: Db) {
    this.copiesOfStmt = db.prepare('SELECT copy FROM copy_points WHERE point_id = ? ORDER BY copy').pluck();
  }

  pointCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  }

  /** points the copy does not hold yet, oldest first */
  missingPoints(copy: string): number[] {
    return (this.db.prepare('SELECT id FROM points WHERE id NOT IN (SELECT point_id FROM copy_points WHERE copy = ?) ORDER BY id').all(copy) as { id: number }[]).map((r) => r.id);
  }

  markCopied(copy: string, pointId: number, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO copy_points (copy, point_id, copied_at) VALUES (?, ?, ?)').run(copy, pointId, at);
  }

  copiesOf(pointId: number): string[] {
    return this.copiesOfStmt.all(pointId) as string[];
  }

  /** every point's copies at once (views of many points) */
  allCopies(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const r of this.db.prepare('SELECT point_id, copy FROM copy_points ORDER BY copy').all() as { point_id: number; copy: string }[]) {
      const l = out.get(r.point_id) ?? [];
      l.push(r.copy);
      out.set(r.point_id, l);
    }
    return out;
  }

  held(copy: string): { points: number; newestTime: string | null } {
    const r = this.db
      .prepare('SELECT COUNT(*) AS n, MAX(p.time) AS t FROM copy_points c JOIN points p ON p.id = c.point_id WHERE c.copy = ?')
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

  finishRun(id: number, at: string, error: string | null): void {
    this.db.prepare('UPDATE copy_runs SET finished_at = ?, state = ?, error = ? WHERE id = ?').run(at, error ? 'failed' : 'succeeded', error, id);
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
