// How a schedule reads in the cockpit: next run in its zone and in UTC, window state,
// last result, queue.
import type { ScheduleRunTime, ScheduleView } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { ageSeconds, formatAge, formatDuration } from '../components/format.js';
import type { Tone } from '../theme.js';

/** "2025-03-15 02:00 -04:00" from the zone-offset ISO the hub sends. */
export function zoneTime(local: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(local);
  if (!m) return local;
  return `${m[1]} ${m[2]}${m[3] && m[3] !== 'Z' ? ` ${m[3]}` : ''}`;
}

export function utcTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function nextRun(s: ScheduleView): ScheduleRunTime | undefined {
  return s.nextRuns[0] ?? (s.next ? { utc: s.next, local: s.next } : undefined);
}

/** "always", "open", "opens in 3h 20m" */
export function windowText(s: ScheduleView): string {
  if (!s.window) return 'always';
  return s.window.open ? `open ${s.window.text}` : `opens in ${formatDuration(s.window.opensInSeconds)}`;
}

export function windowTone(s: ScheduleView): Tone | undefined {
  if (!s.window) return undefined;
  return s.window.open ? 'ok' : 'warn';
}

export function lastText(s: ScheduleView, now: number): string {
  const r = s.lastResult;
  if (!r) return 'never ran';
  const age = ageSeconds(r.firedAt, now);
  const when = age === null ? '' : ` ${formatAge(age)} ago`;
  const missed = r.missed > 0 ? ` (+${r.missed} missed)` : '';
  return `${r.state}${when}${missed}${r.error ? `: ${r.error}` : ''}`;
}

export function lastTone(s: ScheduleView): Tone | undefined {
  const st = s.lastResult?.state;
  return st === 'succeeded' ? 'ok' : st === 'failed' ? 'bad' : st === 'running' ? 'accent' : undefined;
}

export function queueText(s: ScheduleView): string {
  if (s.queue.length === 0) return '—';
  const running = s.queue.filter((q) => q.state === 'running').length;
  return `${running} running, ${s.queue.length - running} queued`;
}

export function scheduleSearchText(s: ScheduleView): string {
  return [s.name, s.cron, s.timezone, s.type, ...s.targets, ...s.hosts, s.lastResult?.state ?? ''].join(' ');
}

export function scheduleColumns(width: number, now: number): Column<ScheduleView>[] {
  const cols: Column<ScheduleView>[] = [
    { key: 'name', title: 'NAME', width: 10, flex: 1, cell: (s) => s.name },
    { key: 'prio', title: 'PRIO', width: 4, align: 'right', cell: (s) => String(s.priority) },
    { key: 'next', title: 'NEXT (ZONE)', width: 23, cell: (s) => { const n = nextRun(s); return n ? zoneTime(n.local) : '—'; } },
    { key: 'utc', title: 'NEXT (UTC)', width: 17, cell: (s) => { const n = nextRun(s); return n ? utcTime(n.utc) : '—'; } },
    { key: 'window', title: 'WINDOW', width: 14, cell: windowText, tone: windowTone },
    { key: 'last', title: 'LAST', width: 10, flex: 1, cell: (s) => lastText(s, now), tone: lastTone },
  ];
  if (width >= 110) cols.splice(1, 0, { key: 'cron', title: 'CRON', width: 12, cell: (s) => s.cron });
  if (width >= 130) cols.push({ key: 'queue', title: 'QUEUE', width: 20, cell: queueText });
  return cols;
}
