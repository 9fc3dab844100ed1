// Pure: recovery points as table rows — columns, the short type word, search text.
import type { PointView } from '../../protocol/operator.js';
import { ladder, lastClean, trustOfView } from '../../recovery/trust.js';
import type { Column } from '../components/Table.js';
import { ageSeconds, formatAge, formatBytes, formatTime } from '../components/format.js';

/** Each host volume's last clean point (lastClean in recovery/trust.ts), by point id. */
export function lastCleanIds(points: readonly PointView[]): Set<number> {
  const byVolume = new Map<string, PointView[]>();
  for (const p of [...points].sort((a, b) => a.id - b.id)) byVolume.set(`${p.host}/${p.volume}`, [...(byVolume.get(`${p.host}/${p.volume}`) ?? []), p]);
  const out = new Set<number>();
  for (const list of byVolume.values()) {
    const c = lastClean(list, trustOfView);
    if (c) out.add(c.id);
  }
  return out;
}

export function pointColumns(now: number, withHost: boolean, width: number, clean: ReadonlySet<number> = new Set()): Column<PointView>[] {
  const cols: Column<PointView>[] = [
    { key: 'id', title: 'ID', width: 5, align: 'right', cell: (p) => String(p.id) },
    { key: 'host', title: 'HOST', width: 8, flex: 1, cell: (p) => p.host },
    { key: 'volume', title: 'VOLUME', width: 7, flex: 1, cell: (p) => p.volume },
    { key: 'time', title: 'TIME', width: 16, cell: (p) => formatTime(p.time) },
    { key: 'age', title: 'AGE', width: 7, align: 'right', cell: (p) => formatAge(ageSeconds(p.time, now) ?? 0) },
    { key: 'type', title: 'TYPE', width: 5, cell: (p) => shortType(p) },
    // points an agent took at the DR site while the host ran there
    { key: 'site', title: 'SITE', width: 4, cell: (p) => (p.site === 'dr' ? 'dr' : ''), tone: (p) => (p.site === 'dr' ? 'warn' : undefined) },
    { key: 'size', title: 'SIZE', width: 9, align: 'right', cell: (p) => formatBytes(p.size) },
    { key: 'new', title: 'NEW', width: 9, align: 'right', cell: (p) => formatBytes(p.bytesNew) },
    { key: 'trust', title: 'PROVEN', width: 8, cell: (p) => ladder(p), tone: (p) => (p.damaged || p.suspect ? 'bad' : 'ok') },
    { key: 'clean', title: 'CLEAN', width: 5, cell: (p) => (clean.has(p.id) ? 'last' : ''), tone: () => 'ok' },
  ];
  return cols.filter((c) => (c.key !== 'host' || withHost) && (c.key !== 'new' || width >= 90));
}

export function shortType(p: PointView): string {
  return p.type === 'incremental' ? 'incr' : 'full';
}

export function pointSearchText(p: PointView): string {
  return [String(p.id), p.host, p.volume, p.type, formatTime(p.time)].join(' ');
}
