// The queued jobs as the queue planner needs them, read lean: a hub with ten thousand
// queued jobs reads them on every pump, so no full rows and no params parsing here.
import type { Db } from './columns.js';

export interface QueuedJobRow {
  id: number;
  hostId: number;
  priority: number;
  createdAt: string;
  /** params.window as JSON text, or null */
  window: string | null;
}

export class QueueStore {
  private readonly st;
  constructor(db: Db) {
    this.st = db.prepare("SELECT id, host_id, priority, created_at, json_extract(params, '$.window') FROM jobs WHERE state = 'queued'").raw(true);
  }

  queued(): QueuedJobRow[] {
    return (this.st.all() as [number, number, number, string, string | null][]).map(([id, hostId, priority, createdAt, window]) => ({ id, hostId, priority, createdAt, window }));
  }
}
