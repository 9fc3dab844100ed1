// Tasks: running with progress, rate and ETA; queued with why they wait; finished with
// their outcome. c cancels (asks y/n), R retries.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { JobView } from '../../protocol/operator.js';
import { useTheme } from '../theme.js';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { cancelTask, retryTask } from './actions.js';
import { orderTasks, taskColumns, taskInfo, taskSearchText } from '../render/taskModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

const COLUMNS = taskColumns();

/** The selected task in full: a narrow screen cuts the INFO column, and why a job waits matters. */
function TaskDetail({ job }: { job: JobView | undefined }): React.ReactElement {
  const theme = useTheme();
  if (!job) return <Text> </Text>;
  const label = job.state === 'queued' ? 'waits: ' : job.state === 'failed' ? 'failed: ' : '';
  return (
    <Text wrap="truncate">
      <Text dimColor>{` #${job.id} ${job.kind} ${job.host} · ${job.origin} · prio ${job.priority} · `}</Text>
      <Text color={theme.color(job.state === 'queued' ? 'warn' : job.state === 'failed' ? 'bad' : undefined)}>{`${label}${taskInfo(job)}`}</Text>
    </Text>
  );
}

export function TasksView({ width, height, ui, setUi }: ViewProps<{ kind: 'tasks' }>): React.ReactElement {
  const jobs = useCockpitState((s) => s.jobs);
  const cockpit = useCockpit();
  const rows = useMemo(() => orderTasks(applyFilter(jobs, ui.filter, taskSearchText)), [jobs, ui.filter]);
  const sel = useTableSelection(rows, (j) => String(j.id), ui, setUi);
  const tableHeight = height - 2;

  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    const job = sel.row;
    switch (action) {
      case 'open':
        if (job) cockpit.navigate({ kind: 'host', host: job.host });
        return true;
      case 'cancel':
        if (job) cancelTask(cockpit, job);
        return true;
      case 'retry':
        if (job) retryTask(cockpit, job);
        return true;
      default:
        return false;
    }
  });

  const count = (state: string): number => jobs.filter((j) => j.state === state).length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle
        title={`Tasks (${rows.length})`}
        details={[`${count('running')} running`, `${count('queued')} queued`, `${count('failed')} failed`, filterDetail(ui.filter)]}
      />
      <Table columns={COLUMNS} rows={rows} rowKey={(j) => String(j.id)} width={width} height={tableHeight}
        selected={sel.index} empty={jobs.length === 0 ? 'no tasks yet' : 'no task matches the filter'} />
      <TaskDetail job={sel.row} />
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { tasks: object }
}

export const tasksView: ViewDef<'tasks'> = {
  title: () => 'Tasks',
  keys: {
    title: 'Tasks',
    table: true,
    bindings: [
      { keys: ['enter'], action: 'open', help: 'host of the task', short: 'host' },
      { keys: ['c'], action: 'cancel', help: 'cancel task (asks y/n)', short: 'cancel', mutating: true },
      { keys: ['R'], action: 'retry', help: 'retry failed task', short: 'retry', mutating: true },
    ],
  },
  filterable: true,
  command: { name: 'tasks', aliases: ['jobs'], help: 'running, queued and finished tasks', open: () => ({ kind: 'tasks' }) },
  component: TasksView,
};
