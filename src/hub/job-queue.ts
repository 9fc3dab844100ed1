// Job rows as the scheduler's queue sees them: the host, the enqueue time and the time window
// a scheduled job carries in its params ({window: {text, startMinute, endMinute, zone}}).
import type { JobRow } from '../catalog/catalog.js';
import type { QueuedJobRow } from '../catalog/queue-store.js';
import type { QueueJob, QueueWindow } from '../scheduler/queue.js';

export interface QueuedRow extends QueueJob {
  row: JobRow;
}

/** The params a scheduled job carries. */
export interface ScheduledJobParams {
  schedule: string;
  window: QueueWindow | null;
  stopAtWindowEnd: boolean;
  /** verify jobs: percent of chunks to read */
  sample?: number;
}

/** The window in a job's params, or null when it has none (or it is malformed). */
export function jobWindow(params: Record<string, unknown>): QueueWindow | null {
  const w = params.window;
  if (typeof w !== 'object' || w === null) return null;
  const { text, startMinute, endMinute, zone } = w as Record<string, unknown>;
  if (typeof text !== 'string' || typeof zone !== 'string' || typeof startMinute !== 'number' || typeof endMinute !== 'number') return null;
  return { text, startMinute, endMinute, zone };
}

export function queuedRow(row: JobRow, host: string): QueuedRow {
  return { id: row.id, host, priority: row.priority, enqueuedAt: Date.parse(row.createdAt), window: jobWindow(row.params), row };
}

/** Queue entries from lean rows; many jobs share a window, so each window text is parsed once. */
export function queueJobs(rows: readonly QueuedJobRow[], hostName: (id: number) => string): QueueJob[] {
  const windows = new Map<string, QueueWindow | null>();
  return rows.map((r) => {
    let window: QueueWindow | null = null;
    if (r.window !== null) {
      window = windows.get(r.window) ?? null;
      if (!windows.has(r.window)) {
        window = jobWindow({ window: JSON.parse(r.window) as unknown });
        windows.set(r.window, window);
      }
    }
    return { id: r.id, host: hostName(r.hostId), priority: r.priority, enqueuedAt: Date.parse(r.createdAt), window };
  });
}
