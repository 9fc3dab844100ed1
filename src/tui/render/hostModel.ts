// How a host reads in the cockpit: link, RPO state, sort orders, table columns.
import type { HostView } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { sparkline } from '../components/Sparkline.js';
import { ageSeconds, formatAge, formatBytes, formatDuration, formatRate } from '../components/format.js';
import type { Tone } from '../theme.js';
import { rpoStatusAt, type RpoLevel, type RpoStatus } from '../../recovery/rpo.js';

export function rpoStatus(host: HostView, now: number): RpoStatus {
  return rpoStatusAt(host.lastPointTime, host.rpoSeconds, now);
}

const RPO_TONE: Record<RpoLevel, Tone | undefined> = { ok: 'ok', near: 'warn', breached: 'bad', untiered: undefined };

export function rpoTone(s: RpoStatus): Tone | undefined {
  return RPO_TONE[s.level];
}

/** "4m/15m"; a breach is marked with ! so it shows without colour too. */
export function rpoText(host: HostView, s: RpoStatus): string {
  const age = s.age === null ? 'never' : formatAge(s.age);
  const mark = s.level === 'breached' ? '!' : '';
  // ↻: a continuous host, its age is its replication lag
  const cont = host.continuous ? '↻' : '';
  return host.rpoSeconds === null ? `${cont}${age}` : `${mark}${cont}${age}/${formatDuration(host.rpoSeconds)}`;
}

/** A continuous host's live lag: "continuous · 4s behind, 1.2 MiB behind · target RPO 15s · cycle running 2s". */
export function continuousText(h: HostView, now: number): string | null {
  const c = h.continuous;
  if (!c) return null;
  const age = ageSeconds(h.lastPointTime, now);
  const behind = age === null ? 'no point yet' : `${formatAge(age)} behind, ${formatBytes(h.backlogBytes)} behind`;
  const target = h.rpoSeconds === null ? 'no RPO target' : `target RPO ${formatDuration(h.rpoSeconds)}`;
  const cycle = ageSeconds(c.cycleStartedAt, now);
  return `continuous · ${behind} · ${target} · ${cycle === null ? 'between cycles' : `cycle running ${formatAge(cycle)}`}`;
}

export function linkText(h: HostView): string {
  const base = h.link === 'connected' ? '● connected' : h.link === 'disconnected' ? '✕ disconnected' : '○ never seen';
  if (h.revoked) return `${base} revoked`;
  return h.failedOver ? `${base} failed-over` : base;
}

export function linkTone(h: HostView): Tone | undefined {
  if (h.revoked || h.link === 'disconnected') return 'bad';
  if (h.failedOver) return 'warn';
  return h.link === 'connected' ? 'ok' : undefined;
}

export function currentRate(h: HostView): number {
  return h.throughput[h.throughput.length - 1] ?? 0;
}

export function hostSearchText(h: HostView): string {
  return [h.name, h.tier ?? '', h.link, ...h.tags].join(' ');
}

export interface HostSort {
  key: string;
  compare: (a: HostView, b: HostView, now: number) => number;
}

const byName = (a: HostView, b: HostView): number => a.name.localeCompare(b.name);
const ageOf = (h: HostView, now: number): number => ageSeconds(h.lastPointTime, now) ?? Number.POSITIVE_INFINITY;

export const HOST_SORTS: readonly HostSort[] = [
  { key: 'name', compare: byName },
  { key: 'tier', compare: (a, b) => (a.tier ?? '~').localeCompare(b.tier ?? '~') || byName(a, b) },
  { key: 'link', compare: (a, b) => a.link.localeCompare(b.link) || byName(a, b) },
  { key: 'rpo', compare: (a, b, now) => (ageOf(a, now) / (a.rpoSeconds ?? Infinity)) - (ageOf(b, now) / (b.rpoSeconds ?? Infinity)) || byName(a, b) },
  { key: 'backlog', compare: (a, b) => a.backlogBytes - b.backlogBytes || byName(a, b) },
  { key: 'throughput', compare: (a, b) => currentRate(a) - currentRate(b) || byName(a, b) },
];

export function sortHosts(hosts: readonly HostView[], sort: HostSort, descending: boolean, now: number): HostView[] {
  const sign = descending ? -1 : 1;
  return [...hosts].sort((a, b) => {
    const c = sort.compare(a, b, now);
    return sign * (Number.isNaN(c) ? 0 : c);
  });
}

export function hostColumns(width: number, now: number): Column<HostView>[] {
  const cols: Column<HostView>[] = [
    { key: 'name', title: 'NAME', width: 10, flex: 2, cell: (h) => h.name },
    { key: 'tags', title: 'TAGS', width: 8, flex: 1, cell: (h) => h.tags.join(',') },
    { key: 'tier', title: 'TIER', width: 7, cell: (h) => h.tier ?? '—' },
    { key: 'link', title: 'LINK', width: 14, cell: linkText, tone: linkTone },
    {
      key: 'rpo', title: 'LAST POINT', width: 13,
      cell: (h) => rpoText(h, rpoStatus(h, now)), tone: (h) => rpoTone(rpoStatus(h, now)),
    },
    { key: 'backlog', title: 'BACKLOG', width: 9, align: 'right', cell: (h) => formatBytes(h.backlogBytes) },
    { key: 'throughput', title: 'THROUGHPUT', width: 10, cell: (h) => sparkline(h.throughput, 10), tone: () => 'accent' },
  ];
  if (width >= 100) {
    cols.push({ key: 'rate', title: 'RATE', width: 11, align: 'right', cell: (h) => formatRate(currentRate(h)) });
  }
  return cols;
}
