// The hosts table: sortable, filterable, Enter opens a host.
import React, { useMemo } from 'react';
import { Box } from 'ink';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { backupNow, openFailback } from './actions.js';
import { HOST_SORTS, hostColumns, hostSearchText, sortHosts } from '../render/hostModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

export function HostsView({ width, height, ui, setUi }: ViewProps<{ kind: 'hosts' }>): React.ReactElement {
  const hosts = useCockpitState((s) => s.hosts);
  const now = useNow(AGE_TICK_MS);
  const cockpit = useCockpit();
  const sort = HOST_SORTS[ui.sortIndex % HOST_SORTS.length]!;
  const rows = useMemo(
    () => sortHosts(applyFilter(hosts, ui.filter, hostSearchText), sort, ui.descending, now),
    [hosts, ui.filter, sort, ui.descending, now],
  );
  const columns = useMemo(() => hostColumns(width, now), [width, now]);
  const sel = useTableSelection(rows, (h) => h.name, ui, setUi);
  const tableHeight = height - 1;

  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    switch (action) {
      case 'open':
        if (sel.row) cockpit.navigate({ kind: 'host', host: sel.row.name });
        return true;
      case 'sort':
        setUi({ sortIndex: (ui.sortIndex + 1) % HOST_SORTS.length });
        return true;
      case 'sortReverse':
        setUi({ descending: !ui.descending });
        return true;
      case 'backup':
        if (sel.row) backupNow(cockpit, sel.row.name);
        return true;
      case 'drill':
        if (sel.row) cockpit.navigate({ kind: 'drill', hosts: [sel.row.name] });
        return true;
      case 'failover':
        if (sel.row) cockpit.navigate({ kind: 'failover', host: sel.row.name });
        return true;
      case 'failback':
        if (sel.row) openFailback(cockpit, sel.row);
        return true;
      default:
        return false;
    }
  });

  const disconnected = hosts.filter((h) => h.link !== 'connected').length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle
        title={`Hosts (${rows.length}${rows.length !== hosts.length ? ` of ${hosts.length}` : ''})`}
        details={[disconnected > 0 ? `${disconnected} not connected` : '', filterDetail(ui.filter), `sort: ${sort.key}${ui.descending ? ' ▼' : ' ▲'}`]}
      />
      <Table columns={columns} rows={rows} rowKey={(h) => h.name} width={width} height={tableHeight}
        selected={sel.index} sort={{ key: sort.key, descending: ui.descending }}
        empty={hosts.length === 0 ? 'no hosts yet: drc hosts add NAME' : 'no host matches the filter'} />
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { hosts: object }
}

export const hostsView: ViewDef<'hosts'> = {
  title: () => 'Hosts',
  keys: {
    title: 'Hosts',
    table: true,
    bindings: [
      { keys: ['enter'], action: 'open', help: 'host detail', short: 'open' },
      { keys: ['s'], action: 'sort', help: 'next sort column', short: 'sort' },
      { keys: ['S'], action: 'sortReverse', help: 'reverse sort' },
      { keys: ['b'], action: 'backup', help: 'backup selected host now', short: 'backup', mutating: true },
      { keys: ['d'], action: 'drill', help: 'drill wizard for the selected host', short: 'drill', mutating: true },
      { keys: ['F'], action: 'failover', help: 'failover wizard (type the host name to start)', short: 'failover', mutating: true },
      { keys: ['B'], action: 'failback', help: 'failback wizard of a failed-over host (type the host name to start)', mutating: true },
    ],
  },
  filterable: true,
  command: { name: 'hosts', aliases: ['ho'], help: 'hosts table', open: () => ({ kind: 'hosts' }) },
  component: HostsView,
};
