// How a task (job) reads in the cockpit.
import type { JobState, JobView } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { progressBar, percentText } from '../components/ProgressBar.js';
import { formatBytes, formatDuration, formatRate } from '../components/format.js';
import type { Tone } from '../theme.js';

const STATE_ORDER: Record<JobState, number> = { running: 0, queued: 1, failed: 2, cancelled: 2, succeeded: 2 };

/** Running first, then queued by priority and age, then finished, newest first. */
export function orderTasks(jobs: readonly JobView[]): JobView[] {
  return [...jobs].sort((a, b) => {
    const s = STATE_ORDER[a.state] - STATE_ORDER[b.state];
    if (s !== 0) return s;
    if (a.state === 'running') return (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.id - b.id;
    if (a.state === 'queued') return b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id - b.id;
    return (b.finishedAt ?? b.createdAt).localeCompare(a.finishedAt ?? a.createdAt) || b.id - a.id;
  });
}

export const STATE_TONE: Record<JobState, Tone | undefined> = {
  running: 'accent', queued: 'warn', succeeded: 'ok', failed: 'bad', cancelled: undefined,
};

export function ratio(j: JobView): number {
  return j.progress.totalBytes > 0 ? j.progress.doneBytes / j.progress.totalBytes : 0;
}

export function taskInfo(j: JobView): string {
  switch (j.state) {
    case 'queued': return j.waitReason ?? 'waiting for a slot';
    case 'running': return `${j.progress.phase} ${formatBytes(j.progress.doneBytes)} of ${formatBytes(j.progress.totalBytes)}`;
    case 'failed': return j.error ?? j.waitReason ?? 'failed';
    case 'cancelled': return j.error ?? 'cancelled';
    case 'succeeded': {
      const points = j.pointIds.length > 0 ? ` · point ${j.pointIds.join(',')}` : '';
      return j.kind === 'backup' ? `${formatBytes(j.bytesNew)} new${points}` : `restored ${formatBytes(j.progress.doneBytes)}`;
    }
  }
}

export function taskSearchText(j: JobView): string {
  return [String(j.id), j.kind, j.host, j.state, j.type ?? '', j.origin, taskInfo(j), ...j.volumes].join(' ');
}

export function taskColumns(): Column<JobView>[] {
  return [
    { key: 'id', title: 'ID', width: 5, align: 'right', cell: (j) => String(j.id) },
    { key: 'kind', title: 'KIND', width: 7, cell: (j) => (j.kind === 'backup' && j.type === 'full' ? 'full' : j.kind) },
    { key: 'host', title: 'HOST', width: 8, flex: 1, cell: (j) => j.host },
    { key: 'state', title: 'STATE', width: 9, cell: (j) => j.state, tone: (j) => STATE_TONE[j.state] },
    {
      key: 'progress', title: 'PROGRESS', width: 16,
      cell: (j) => (j.state === 'running' ? `${progressBar(ratio(j), 11)} ${percentText(ratio(j))}` : ''),
      tone: (j) => (j.state === 'running' ? 'accent' : undefined),
    },
    { key: 'rate', title: 'RATE', width: 10, align: 'right', cell: (j) => (j.state === 'running' ? formatRate(j.progress.rate) : '') },
    {
      key: 'eta', title: 'ETA', width: 7, align: 'right',
      cell: (j) => (j.state === 'running' && j.progress.etaSeconds !== null ? formatDuration(j.progress.etaSeconds) : ''),
    },
    { key: 'info', title: 'INFO', width: 10, flex: 2, cell: taskInfo, tone: (j) => (j.state === 'failed' ? 'bad' : undefined) },
  ];
}
