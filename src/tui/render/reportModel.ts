// Pure: drill and takeover reports as table rows — columns, verdict text and tone, search text.
import type { ReportSummary } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { formatTime } from '../components/format.js';
import type { Tone } from '../theme.js';
import { objectiveText } from './runModel.js';

export function verdictTone(r: { verdict: ReportSummary['verdict']; state: ReportSummary['state'] }): Tone | undefined {
  if (r.state === 'failed' || r.verdict === 'fail') return 'bad';
  if (r.verdict === 'pass') return 'ok';
  return r.state === 'running' ? 'accent' : undefined;
}

function verdictText(r: ReportSummary): string {
  return r.state === 'running' ? 'running' : r.verdict ?? (r.state === 'failed' ? 'failed' : '—');
}

export const REPORT_COLUMNS: Column<ReportSummary>[] = [
  { key: 'id', title: 'ID', width: 5, align: 'right', cell: (r) => String(r.id) },
  { key: 'kind', title: 'KIND', width: 8, cell: (r) => (r.kind === 'failover' ? 'takeover' : 'drill') },
  { key: 'hosts', title: 'HOSTS', width: 12, flex: 1, cell: (r) => r.hosts.join(',') },
  { key: 'time', title: 'TIME', width: 16, cell: (r) => formatTime(r.time) },
  { key: 'verdict', title: 'VERDICT', width: 8, cell: verdictText, tone: verdictTone },
  { key: 'rto', title: 'RTO', width: 14, cell: (r) => objectiveText('', r.rto).trim(), tone: (r) => (r.rto.pass === false ? 'bad' : r.rto.pass ? 'ok' : undefined) },
  { key: 'rpo', title: 'RPO', width: 14, cell: (r) => objectiveText('', r.rpo).trim(), tone: (r) => (r.rpo.pass === false ? 'bad' : r.rpo.pass ? 'ok' : undefined) },
];

export function reportSearchText(r: ReportSummary): string {
  return [String(r.id), r.kind, r.kind === 'failover' ? 'takeover' : '', ...r.hosts, r.state, r.verdict ?? '', formatTime(r.time)].join(' ');
}

/** Newest first. */
export function orderReports(reports: readonly ReportSummary[]): ReportSummary[] {
  return [...reports].sort((a, b) => b.time.localeCompare(a.time) || b.id - a.id);
}
