// Recovered instances: the hosts drills and failovers booted as VMs (and NBD mounts) with
// state, accelerator, uptime, boot time, ports, and the selected one's last console lines.
// Enter follows its whole console; x stops the selected instance after y (a failover's asks
// for its host name typed). Polled while shown.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { InstanceView } from '../../protocol/operator.js';
import { formatDuration } from '../../format/human.js';
import { Table, type Column } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { useCockpit, useViewActions, type Cockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

const COLUMNS: Column<InstanceView>[] = [
  { key: 'id', title: 'ID', width: 4, align: 'right', cell: (i) => String(i.id) },
  { key: 'kind', title: 'KIND', width: 8, cell: (i) => i.kind },
  { key: 'host', title: 'HOST', width: 10, flex: 1, cell: (i) => i.host },
  { key: 'state', title: 'STATE', width: 9, cell: (i) => i.state, tone: (i) => (i.state === 'running' ? 'ok' : i.state === 'lost' ? 'bad' : undefined) },
  { key: 'disk', title: 'DISK', width: 11, cell: (i) => (i.kind === 'mount' ? 'nbd export' : i.disk) },
  { key: 'accel', title: 'ACCEL', width: 5, cell: (i) => i.accel ?? '-' },
  { key: 'uptime', title: 'UPTIME', width: 8, cell: (i) => (i.uptimeSeconds === null ? '-' : formatDuration(i.uptimeSeconds)) },
  { key: 'boot', title: 'BOOT', width: 7, cell: (i) => (i.bootMs === null ? '-' : `${(i.bootMs / 1000).toFixed(1)} s`) },
  { key: 'ports', title: 'PORTS', width: 14, flex: 1, cell: (i) => i.ports.map((p) => `${p.host}→${p.guest}`).join(' ') || i.network },
];

const searchText = (i: InstanceView) => [String(i.id), i.kind, i.host, i.state, i.network, String(i.runId ?? '')].join(' ');

export function stopInstance(cockpit: Cockpit, i: InstanceView): void {
  if (i.state !== 'running') {
    cockpit.notify(`instance ${i.id} is ${i.state}`);
    return;
  }
  const done = (confirm?: string) =>
    void cockpit.call('instances.stop', { id: i.id, confirm }, { mutating: true }).then((r) => {
      if (!r) return;
      cockpit.notify(`instance ${r.id} of ${r.host} ${r.state}`, 'ok');
    });
  if (i.kind === 'failover') {
    cockpit.ask(`stop failed-over ${i.host} (instance ${i.id}) — type the host name`, '', (typed) => {
      if (typed !== i.host) { cockpit.notify(`not stopped: "${typed}" is not ${i.host}`, 'bad'); return; }
      done(typed);
    });
  } else cockpit.confirm(`Stop ${i.kind} instance ${i.id} of ${i.host}?`, () => done());
}

export function InstancesView({ width, height, ui, setUi }: ViewProps<{ kind: 'instances' }>): React.ReactElement {
  const instances = useCockpitState((s) => s.instances);
  const cockpit = useCockpit();
  const rows = useMemo(() => [...applyFilter(instances ?? [], ui.filter, searchText)], [instances, ui.filter]);
  const sel = useTableSelection(rows, (i) => String(i.id), ui, setUi);
  const consoleHeight = sel.row && sel.row.lastLines.length ? Math.min(6, Math.floor((height - 1) / 3)) : 0;
  const tableHeight = height - 1 - consoleHeight;
  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    if (action === 'open') {
      if (sel.row && sel.row.console) cockpit.navigate({ kind: 'console', id: sel.row.id });
      else if (sel.row) cockpit.notify(`instance ${sel.row.id} has no console (a mount)`);
      return true;
    }
    if (action !== 'stop') return false;
    if (sel.row) stopInstance(cockpit, sel.row);
    return true;
  });
  const running = (instances ?? []).filter((i) => i.state === 'running').length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Instances (${running} running)`} details={[instances === null ? 'loading…' : '', filterDetail(ui.filter)]} />
      <Table columns={COLUMNS} rows={rows} rowKey={(i) => String(i.id)} width={width} height={tableHeight} selected={sel.index}
        empty={instances === null ? 'asking the hub…' : instances.length === 0 ? 'no recovered instances (a drill on a qemu target boots one)' : 'no instance matches the filter'} />
      {consoleHeight > 0 ? (
        <Box flexDirection="column" height={consoleHeight}>
          <Text dimColor wrap="truncate">{` console of ${sel.row!.host} (instance ${sel.row!.id})`}</Text>
          {sel.row!.lastLines.slice(-(consoleHeight - 1)).map((l, n) => <Text key={n} wrap="truncate">{`  ${l}`}</Text>)}
        </Box>
      ) : null}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { instances: object }
}

export const INSTANCES_POLL_MS = 2000;
export const instancesView: ViewDef<'instances'> = {
  title: () => 'Instances',
  keys: {
    title: 'Instances',
    table: true,
    bindings: [
      { keys: ['enter'], action: 'open', help: 'follow the instance\'s serial console', short: 'console' },
      { keys: ['x'], action: 'stop', help: 'stop the instance (a failover asks for its host name)', short: 'stop', mutating: true },
    ],
  },
  filterable: true,
  command: { name: 'instances', aliases: ['in', 'vm'], help: 'recovered hosts running as VMs, and mounts', open: () => ({ kind: 'instances' }) },
  // uptime and console lines move: asked every 2 s, and soon after a run changes
  feeds: [{ every: INSTANCES_POLL_MS, follows: (s) => s.runs, fetch: async (c) => [{ type: 'instances', instances: await c.call('instances.list', {}) }] }],
  component: InstancesView,
};
