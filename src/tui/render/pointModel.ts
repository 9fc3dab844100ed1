// Pure: recovery points as table rows — columns, the short type word, search text.
import type { PointView } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { ageSeconds, formatAge, formatBytes, formatTime } from '../components/format.js';

export function pointColumns(now: number, withHost: boolean, width: number): Column<PointView>[] {
  const cols: Column<PointView>[] = [
    { key: 'id', title: 'ID', width: 5, align: 'right', cell: (p) => String(p.id) },
    { key: 'host', title: 'HOST', width: 8, flex: 1, cell: (p) => p.host },
    { key: 'volume', title: 'VOLUME', width: 7, flex: 1, cell: (p) => p.volume },
    { key: 'time', title: 'TIME', width: 16, cell: (p) => formatTime(p.time) },
    { key: 'age', title: 'AGE', width: 7, align: 'right', cell: (p) => formatAge(ageSeconds(p.time, now) ?? 0) },
    { key: 'type', title: 'TYPE', width: 5, cell: (p) => shortType(p) },
    { key: 'size', title: 'SIZE', width: 9, align: 'right', cell: (p) => formatBytes(p.size) },
    { key: 'new', title: 'NEW', width: 9, align: 'right', cell: (p) => formatBytes(p.bytesNew) },
    { key: 'verified', title: 'VERIFIED', width: 8, cell: (p) => (p.verifiedAt ? '✓' : ''), tone: () => 'ok' },
  ];
  return cols.filter((c) => (c.key !== 'host' || withHost) && (c.key !== 'new' || width >= 90));
}

export function shortType(p: PointView): string {
  return p.type === 'incremental' ? 'incr' : 'full';
}

export function pointSearchText(p: PointView): string {
  return [String(p.id), p.host, p.volume, p.type, formatTime(p.time)].join(' ');
}
