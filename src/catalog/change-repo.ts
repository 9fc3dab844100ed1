// Per-point change statistics in the catalog: the change rate and incompressible share each
// point was committed with, the suspect mark, and a volume's recent history (its baseline).
import type { Db } from './columns.js';

export interface ChangeSample {
  pointId: number;
  changeRate: number;
  incompressibleShare: number;
  suspect: boolean;
}

export class ChangeRepo {
  constructor(private readonly db: Db) {}

  record(pointId: number, changeRate: number, incompressibleShare: number): void {
    this.db.prepare('UPDATE points SET change_rate = ?, incompressible_share = ? WHERE id = ?').run(changeRate, incompressibleShare, pointId);
  }

  setSuspect(pointId: number, suspect: boolean): void {
    this.db.prepare('UPDATE points SET suspect = ? WHERE id = ?').run(suspect ? 1 : 0, pointId);
  }

  /**
   * The measured points of a volume before `beforeId`, newest first, at most `limit`. The
   * volume's first point is left out: it sends the whole disk and says nothing about change.
   */
  history(volumeId: number, beforeId: number, limit: number): ChangeSample[] {
    const rows = this.db
      .prepare(
        `SELECT id, change_rate, incompressible_share, suspect FROM points
         WHERE volume_id = ? AND id < ? AND change_rate IS NOT NULL
           AND id > (SELECT MIN(id) FROM points WHERE volume_id = ?)
         ORDER BY id DESC LIMIT ?`,
      )
      .all(volumeId, beforeId, volumeId, limit) as { id: number; change_rate: number; incompressible_share: number; suspect: number }[];
    return rows.map((r) => ({ pointId: r.id, changeRate: r.change_rate, incompressibleShare: r.incompressible_share, suspect: r.suspect === 1 }));
  }
}
