// Drill and takeover reports: the list (id, kind, hosts, time, verdict), Enter shows one
// report's summary. Both are asked for while shown (the feeds below); nothing here fetches.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { formatDuration, formatTime } from '../components/format.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { useTheme } from '../theme.js';
import { REPORT_COLUMNS, orderReports, reportSearchText, verdictTone } from '../render/reportModel.js';
import { STEP_MARK, objectiveText } from '../render/runModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

export function ReportsView({ width, height, ui, setUi }: ViewProps<{ kind: 'reports' }>): React.ReactElement {
  const reports = useCockpitState((s) => s.reports);
  const cockpit = useCockpit();
  const rows = useMemo(() => orderReports(applyFilter(reports ?? [], ui.filter, reportSearchText)), [reports, ui.filter]);
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
      <Table columns={REPORT_COLUMNS} rows={rows} rowKey={(r) => String(r.id)} width={width} height={tableHeight} selected={sel.index}
        empty={reports === null ? 'asking the hub…' : reports.length === 0 ? 'no drills or takeovers yet (d or F on a host)' : 'no report matches the filter'} />
    </Box>
  );
}

export function ReportView({ view, width, height }: ViewProps<{ kind: 'report'; id: number }>): React.ReactElement {
  const theme = useTheme();
  const report = useCockpitState((s) => s.reportDetails[view.id]);
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

declare module '../route.js' {
  interface ViewParams { reports: object; report: { id: number } }
}

export const REPORTS_POLL_MS = 30_000;

export const reportsView: ViewDef<'reports'> = {
  title: () => 'Reports',
  keys: { title: 'Reports', table: true, bindings: [{ keys: ['enter'], action: 'open', help: 'report summary', short: 'open' }] },
  filterable: true,
  command: { name: 'reports', aliases: ['rep'], help: 'drill and takeover reports', open: () => ({ kind: 'reports' }) },
  feeds: [{ every: REPORTS_POLL_MS, fetch: async (c) => [{ type: 'reports', reports: await c.call('reports.list', {}) }] }],
  component: ReportsView,
};

export const reportView: ViewDef<'report'> = {
  title: (v) => `Report ${v.id}`,
  feeds: [{ fetch: async (c, v) => [{ type: 'report', report: await c.call('reports.get', { id: v.id }) }] }],
  component: ReportView,
};
