// Drill and takeover reports: the list (id, kind, hosts, time, verdict), Enter shows one
// report's summary. The list is asked for while the view is shown (see useViewPolls).
import React, { useEffect, useMemo, useState } from 'react';
import { Box, Text } from 'ink';
import type { RecoveryReport, ReportSummary } from '../../protocol/operator.js';
import { Table, type Column } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { formatDuration, formatTime } from '../components/format.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { useTheme, type Tone } from '../theme.js';
import { STEP_MARK, objectiveText } from '../render/runModel.js';
import type { ViewProps } from './types.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

function verdictTone(r: { verdict: ReportSummary['verdict']; state: ReportSummary['state'] }): Tone | undefined {
  if (r.state === 'failed' || r.verdict === 'fail') return 'bad';
  if (r.verdict === 'pass') return 'ok';
  return r.state === 'running' ? 'accent' : undefined;
}

function verdictText(r: ReportSummary): string {
  return r.state === 'running' ? 'running' : r.verdict ?? (r.state === 'failed' ? 'failed' : '—');
}

const COLUMNS: Column<ReportSummary>[] = [
  { key: 'id', title: 'ID', width: 5, align: 'right', cell: (r) => String(r.id) },
  { key: 'kind', title: 'KIND', width: 8, cell: (r) => (r.kind === 'failover' ? 'takeover' : 'drill') },
  { key: 'hosts', title: 'HOSTS', width: 12, flex: 1, cell: (r) => r.hosts.join(',') },
  { key: 'time', title: 'TIME', width: 16, cell: (r) => formatTime(r.time) },
  { key: 'verdict', title: 'VERDICT', width: 8, cell: verdictText, tone: verdictTone },
  { key: 'rto', title: 'RTO', width: 14, cell: (r) => objectiveText('', r.rto).trim(), tone: (r) => (r.rto.pass === false ? 'bad' : r.rto.pass ? 'ok' : undefined) },
  { key: 'rpo', title: 'RPO', width: 14, cell: (r) => objectiveText('', r.rpo).trim(), tone: (r) => (r.rpo.pass === false ? 'bad' : r.rpo.pass ? 'ok' : undefined) },
];

function reportSearchText(r: ReportSummary): string {
  return [String(r.id), r.kind, r.kind === 'failover' ? 'takeover' : '', ...r.hosts, r.state, r.verdict ?? '', formatTime(r.time)].join(' ');
}

export function ReportsView({ width, height, ui, setUi }: ViewProps<{ kind: 'reports' }>): React.ReactElement {
  const reports = useCockpitState((s) => s.reports);
  const cockpit = useCockpit();
  const rows = useMemo(() => [...applyFilter(reports ?? [], ui.filter, reportSearchText)].sort((a, b) => b.time.localeCompare(a.time) || b.id - a.id), [reports, ui.filter]);
  const sel = useTableSelection(rows, (r) => String(r.id), ui, setUi);
  const tableHeight = height - 1;
  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    if (action !== 'open') return false;
    if (sel.row) cockpit.navigate({ kind: 'report', id: sel.row.id });
    return true;
  });
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Reports (${rows.length})`} details={[reports === null ? 'loading…' : '', filterDetail(ui.filter)]} />
      <Table columns={COLUMNS} rows={rows} rowKey={(r) => String(r.id)} width={width} height={tableHeight} selected={sel.index}
        empty={reports === null ? 'asking the hub…' : reports.length === 0 ? 'no drills or takeovers yet (d or F on a host)' : 'no report matches the filter'} />
    </Box>
  );
}

export function ReportView({ view, width, height }: ViewProps<{ kind: 'report'; id: number }>): React.ReactElement {
  const cockpit = useCockpit();
  const theme = useTheme();
  const [report, setReport] = useState<RecoveryReport | null>(null);
  useEffect(() => {
    let live = true;
    void cockpit.call('reports.get', { id: view.id }).then((r) => { if (live && r) setReport(r); });
    return () => { live = false; };
  }, [view.id]);
  useViewActions(() => false);
  if (!report) return <Box height={height}><Text dimColor>{` loading report ${view.id}…`}</Text></Box>;
  const failedChecks = report.checks.filter((c) => c.status === 'fail');
  const lines: React.ReactElement[] = [
    <Text key="t" bold wrap="truncate">{` ${report.title}`}</Text>,
    <Text key="m" wrap="truncate" dimColor>{` hub ${report.hub} · by ${report.operator.user}${report.operator.ssh ? ` (${report.operator.ssh})` : ''} · started ${formatTime(report.startedAt, true)} · took ${report.durationSeconds === null ? '—' : formatDuration(report.durationSeconds)}`}</Text>,
    <Text key="v" wrap="truncate" bold color={theme.color(verdictTone(report))}>
      {` ${report.state}${report.verdict ? ` · verdict ${report.verdict}${report.verdictBy ? ` (${report.verdictBy})` : ''}` : ''} · ${objectiveText('RTO', report.rto)} · ${objectiveText('RPO', report.rpo)}`}
    </Text>,
  ];
  if (report.notes) lines.push(<Text key="n" wrap="truncate">{` notes: ${report.notes}`}</Text>);
  for (const h of report.hosts) {
    lines.push(<Text key={`h${h.host}`} wrap="truncate">{` ${h.host}: ${h.points.map((p) => `${p.volume}@${p.pointId}${p.verified ? '✓' : ''}`).join(' ')} · ${objectiveText('RTO', h.rto)} · ${objectiveText('RPO', h.rpo)}`}</Text>);
  }
  lines.push(<Text key="c" wrap="truncate" color={theme.color(failedChecks.length ? 'bad' : 'ok')}>{` checks: ${report.checks.length - failedChecks.length}/${report.checks.length} passed${failedChecks.length ? ` · failed: ${failedChecks.map((c) => c.name).join(', ')}` : ''}`}</Text>);
  for (const i of report.issues) lines.push(<Text key={`i${i}`} wrap="truncate" color={theme.color('warn')}>{` issue: ${i}`}</Text>);
  lines.push(<Text key="s" bold>{' steps'}</Text>);
  for (const s of report.steps) lines.push(<Text key={`s${s.index}`} wrap="truncate">{`  ${STEP_MARK[s.state]} ${s.title}${s.durationMs !== null ? ` · ${formatDuration(s.durationMs / 1000)}` : ''}${s.error ? ` · ${s.error}` : ''}`}</Text>);
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <ViewTitle title={`Report ${report.id}`} details={[report.kind === 'failover' ? 'takeover' : 'drill', 'full text: drc report show ' + String(report.id)]} />
      {lines.slice(0, height - 1)}
    </Box>
  );
}
