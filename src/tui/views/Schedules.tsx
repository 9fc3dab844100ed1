// Schedules: each one with its next runs (in its zone and in UTC), window state, last
// result and its queue with priorities, and a line on automatic maintenance (next run, what
// it would delete, the last run). r runs the selected schedule now (asks y/n).
// The list is polled while this view is shown (see useViewPolls).
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { ScheduleView } from '../../protocol/operator.js';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { fit } from '../components/format.js';
import { useCockpit, useViewActions, type Cockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { useTheme } from '../theme.js';
import { maintenanceLine } from '../render/maintenanceModel.js';
import { scheduleColumns, scheduleSearchText, utcTime, windowText, windowTone, zoneTime } from '../render/scheduleModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

export function runScheduleNow(cockpit: Cockpit, s: ScheduleView): void {
  const hosts = s.hosts.length === 1 ? s.hosts[0]! : `${s.hosts.length} hosts`;
  cockpit.confirm(`Run schedule ${s.name} now on ${hosts}? Its window does not apply.`, () => {
    void cockpit.call('schedules.run', { name: s.name }, { mutating: true }).then((jobs) => {
      if (!jobs) return;
      cockpit.notify(jobs.length === 0 ? `${s.name}: nothing queued (no host matched)` : `${s.name}: queued ${jobs.map((j) => `job ${j.id} (${j.host})`).join(', ')}`, 'ok');
    });
  });
}

function Detail({ s, width, height }: { s: ScheduleView; width: number; height: number }): React.ReactElement {
  const theme = useTheme();
  const lines: React.ReactElement[] = [];
  lines.push(
    <Text key="h" wrap="truncate">
      <Text bold>{` ${s.name}`}</Text>
      <Text dimColor>{` · ${s.cron} ${s.timezone} · ${s.type} · targets ${s.targets.join(',')} → ${s.hosts.length} hosts · window `}</Text>
      <Text color={theme.color(windowTone(s))}>{s.window ? `${s.window.text} ${windowText(s)}` : 'always'}</Text>
      <Text dimColor>{s.retention ? ` · keep ${s.retention}` : ''}</Text>
    </Text>,
  );
  lines.push(<Text key="n" wrap="truncate">{` next: ${s.nextRuns.slice(0, 3).map((r) => `${zoneTime(r.local)} (${utcTime(r.utc)})`).join(' · ') || '—'}`}</Text>);
  lines.push(<Text key="q" bold wrap="truncate">{` queue (${s.queue.length})`}</Text>);
  for (const q of s.queue) {
    lines.push(
      <Text key={`q${q.jobId}`} wrap="truncate">
        {`  #${fit(String(q.jobId), 5)} ${fit(q.host, 12)} `}
        <Text color={theme.color(q.state === 'running' ? 'accent' : 'warn')}>{fit(q.state, 8)}</Text>
        {` prio ${q.priority}${q.effectivePriority !== q.priority ? ` (aged ${q.effectivePriority.toFixed(1)})` : ''}${q.waitReason ? ` · waits: ${q.waitReason}` : ''}`}
      </Text>,
    );
  }
  if (s.queue.length === 0) lines.push(<Text key="qe" dimColor>  nothing queued</Text>);
  return <Box flexDirection="column" width={width} height={height} overflowY="hidden">{lines.slice(0, height)}</Box>;
}

export function SchedulesView({ width, height, ui, setUi }: ViewProps<{ kind: 'schedules' }>): React.ReactElement {
  const schedules = useCockpitState((s) => s.schedules);
  const maintenance = useCockpitState((s) => s.maintenance);
  const theme = useTheme();
  const now = useNow(AGE_TICK_MS);
  const cockpit = useCockpit();
  const rows = useMemo(
    () => [...applyFilter(schedules ?? [], ui.filter, scheduleSearchText)].sort((a, b) => (a.next ?? '~').localeCompare(b.next ?? '~') || a.name.localeCompare(b.name)),
    [schedules, ui.filter],
  );
  const columns = useMemo(() => scheduleColumns(width, now), [width, now]);
  const sel = useTableSelection(rows, (s) => s.name, ui, setUi);
  const detailHeight = sel.row ? Math.min(Math.max(4, sel.row.queue.length + 3), Math.floor((height - 1) / 2)) : 0;
  const tableHeight = height - 1 - detailHeight - (maintenance?.status.auto ? 1 : 0);

  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    if (action === 'runNow') {
      if (sel.row) runScheduleNow(cockpit, sel.row);
      return true;
    }
    return false;
  });

  const closed = (schedules ?? []).filter((s) => s.window && !s.window.open).length;
  const mline = maintenance ? maintenanceLine(maintenance) : null;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Schedules (${rows.length})`} details={[schedules === null ? 'loading…' : '', closed > 0 ? `${closed} windows closed` : '', filterDetail(ui.filter)]} />
      {mline ? <Text wrap="truncate" dimColor={mline.tone === 'dim'} color={mline.tone === 'dim' ? undefined : theme.color(mline.tone)}>{` ${mline.text}`}</Text> : null}
      <Table columns={columns} rows={rows} rowKey={(s) => s.name} width={width} height={tableHeight} selected={sel.index}
        empty={schedules === null ? 'asking the hub…' : schedules.length === 0 ? 'no schedules configured (schedules: in the hub config)' : 'no schedule matches the filter'} />
      {sel.row ? <Detail s={sel.row} width={width} height={detailHeight} /> : null}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { schedules: object }
}

export const SCHEDULES_POLL_MS = 10_000;
export const schedulesView: ViewDef<'schedules'> = {
  title: () => 'Schedules',
  keys: {
    title: 'Schedules',
    table: true,
    bindings: [{ keys: ['r'], action: 'runNow', help: 'run the schedule now (asks y/n)', short: 'run now', mutating: true }],
  },
  filterable: true,
  command: { name: 'schedules', aliases: ['sc'], help: 'schedules, next runs, windows, queue', open: () => ({ kind: 'schedules' }) },
  // queues and last results change with the jobs: asked again soon after a job update
  feeds: [
    { every: SCHEDULES_POLL_MS, follows: (s) => s.jobs, fetch: async (c) => [{ type: 'schedules', schedules: await c.call('schedules.list', {}) }] },
    // the automatic maintenance line: next run, what it would delete, what the last one did
    {
      every: SCHEDULES_POLL_MS,
      follows: (s) => s.points.length,
      quiet: true,
      fetch: async (c) => {
        const status = await c.call('maintenance.status', {});
        const preview = status.auto?.cron ? await c.call('maintenance.preview', {}).catch(() => null) : null;
        return [{ type: 'maintenance', maintenance: { status, preview } }];
      },
    },
  ],
  component: SchedulesView,
};
