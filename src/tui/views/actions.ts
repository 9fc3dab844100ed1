// Hub actions shared by several views, phrased as the status line reports them.
import type { JobView, PointView } from '../../protocol/operator.js';
import type { Cockpit } from '../hooks/useCockpit.js';
import { formatBytes, formatTime } from '../components/format.js';

export function backupNow(cockpit: Cockpit, host: string): void {
  cockpit.run('backup.start', { host }, (job) => `backup queued: job ${job.id} (${host})`);
}

export function fullBackup(cockpit: Cockpit, host: string): void {
  cockpit.confirm(`Full backup of ${host}? It reads every block.`, () => {
    cockpit.run('backup.start', { host, full: true }, (job) => `full backup queued: job ${job.id} (${host})`);
  });
}

export function cancelTask(cockpit: Cockpit, job: JobView): void {
  if (job.state !== 'queued' && job.state !== 'running') {
    cockpit.notify(`task ${job.id} is ${job.state}: nothing to cancel`, 'info');
    return;
  }
  cockpit.confirm(`Cancel task ${job.id} (${job.kind} of ${job.host})?`, () => {
    cockpit.run('job.cancel', { id: job.id }, (j) => `task ${j.id} ${j.state === 'cancelled' ? 'cancelled' : 'cancelling'}`);
  });
}

export function retryTask(cockpit: Cockpit, job: JobView): void {
  if (job.state !== 'failed' && job.state !== 'cancelled') {
    cockpit.notify(`task ${job.id} is ${job.state}: only failed or cancelled tasks are retried`, 'info');
    return;
  }
  cockpit.run('job.retry', { id: job.id }, (j) => `retry queued: job ${j.id}`);
}

export function defaultRestorePath(p: PointView): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `./restore-${safe(p.host)}-${safe(p.volume)}-${p.id}.img`;
}

/** Asks where to restore one point, then starts the restore. */
export function restorePoint(cockpit: Cockpit, p: PointView): void {
  cockpit.ask(`restore ${p.host}/${p.volume} point ${p.id} to`, defaultRestorePath(p), (to) => {
    cockpit.run('restore.start', { host: p.host, volume: p.volume, point: String(p.id), to },
      (job) => `restore queued: job ${job.id} → ${to}`);
  });
}

export function newestFirst(points: readonly PointView[]): PointView[] {
  return [...points].sort((a, b) => b.time.localeCompare(a.time) || b.id - a.id);
}

/** The point picker of a host, then the target path prompt, then restore.start. */
export function restoreFromHost(cockpit: Cockpit, host: string, points: readonly PointView[]): void {
  const mine = newestFirst(points.filter((p) => p.host === host));
  cockpit.pick({
    title: `Restore ${host}: choose a recovery point`,
    columns: [
      { title: 'ID', width: 5, align: 'right' },
      { title: 'TIME', width: 16 },
      { title: 'VOLUME', width: 12 },
      { title: 'TYPE', width: 5 },
      { title: 'SIZE', width: 9, align: 'right' },
      { title: 'VERIFIED', width: 8 },
    ],
    rows: mine.map((p) => ({
      key: String(p.id),
      cells: [String(p.id), formatTime(p.time), p.volume, p.type === 'incremental' ? 'incr' : 'full', formatBytes(p.size), p.verifiedAt ? '✓' : ''],
    })),
    empty: `no recovery points of ${host} yet`,
    onPick: (row) => {
      const point = mine.find((p) => String(p.id) === row.key);
      if (point) restorePoint(cockpit, point);
    },
  });
}

/** The failback wizard opens only for a host that is failed over. */
export function openFailback(cockpit: Cockpit, host: { name: string; failedOver: boolean }): void {
  if (!host.failedOver) cockpit.notify(`${host.name} is not failed over: nothing to fail back`, 'info');
  else cockpit.navigate({ kind: 'failback', host: host.name });
}
