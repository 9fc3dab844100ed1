// The schedules view's maintenance line: when the automatic run comes next, what it would
// delete (before the first run deletes anything, said loudly), and what the last run did.
import { formatBytes } from '../../format/human.js';
import type { MaintenanceStatusView, PruneReport } from '../../protocol/operator.js';

/** What the cockpit knows about maintenance: the hub's status and the next run's preview. */
export interface MaintenanceOutlook {
  status: MaintenanceStatusView;
  preview: PruneReport | null;
}

/** dim: said in passing */
export type MaintenanceTone = 'warn' | 'dim' | 'bad';

/** One line (tone and text), or null when the hub says nothing of automatic maintenance. */
export function maintenanceLine(o: MaintenanceOutlook): { tone: MaintenanceTone; text: string } | null {
  const a = o.status.auto;
  if (!a) return null;
  if (a.cron === null) return { tone: 'dim', text: 'maintenance: automatic runs off (prune and gc by hand)' };
  const when = `next ${a.next ? a.next.slice(0, 16).replace('T', ' ') : '—'} UTC${a.window ? ` (window ${a.window} ${a.timezone})` : ''}`;
  const parts = [`maintenance: ${a.phase ? `running ${a.phase}` : a.waiting ? 'due, waiting for its window' : when}`];
  const p = o.preview;
  if (p) {
    const would = `would delete ${p.deleted.length} point(s)${p.consolidated.length ? `, consolidate ${p.consolidated.length}` : ''}`;
    parts.push(a.firstDeletionPending && p.deleted.length > 0 ? `FIRST RUN ${would} (drc maintenance preview)` : would);
  }
  const last = a.lastRuns[0];
  if (last) {
    const s = last.summary;
    parts.push(
      last.state === 'failed'
        ? `last run ${last.id} failed: ${last.error ?? ''}`
        : s
          ? `last run deleted ${s.deleted.length}, freed ${formatBytes(s.bytesFreed)}, verify queued for ${s.verifyPoints.length}`
          : `last run ${last.id} ${last.state}`,
    );
  }
  const tone: MaintenanceTone = last?.state === 'failed' ? 'bad' : a.firstDeletionPending && (p?.deleted.length ?? 0) > 0 ? 'warn' : 'dim';
  return { tone, text: parts.join(' · ') };
}
