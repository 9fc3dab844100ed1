// The audit log: who (a token's name or the socket's user), from where, did what, and how
// it went — refusals in red. Newest first; polled while shown. Reading it takes the
// operator role: a read-only cockpit is told so in the status line.
import React, { useMemo } from 'react';
import { Box } from 'ink';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { auditColumns, auditSearchText } from '../render/auditModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

const AUDIT_POLL_MS = 5_000;
const AUDIT_ROWS = 500;

export function AuditView({ width, height, ui, setUi }: ViewProps<{ kind: 'audit' }>): React.ReactElement {
  const entries = useCockpitState((s) => s.audit);
  const rows = useMemo(() => [...applyFilter(entries ?? [], ui.filter, auditSearchText)].reverse(), [entries, ui.filter]);
  const columns = useMemo(() => auditColumns(), []);
  const sel = useTableSelection(rows, (e) => String(e.id), ui, setUi);
  const refused = (entries ?? []).filter((e) => e.outcome === 'forbidden' || e.outcome === 'refused').length;
  const cockpit = useCockpit();
  const hosts = useCockpitState((s) => s.hosts);
  useViewActions((action) => {
    if (sel.move(action, height - 2)) return true;
    if (action !== 'open') return false;
    const target = sel.row?.target;
    if (target && hosts.some((h) => h.name === target)) cockpit.navigate({ kind: 'host', host: target });
    return true;
  });
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Audit (${rows.length})`} details={[entries === null ? 'loading…' : '', refused > 0 ? `${refused} refused` : '', filterDetail(ui.filter)]} />
      <Table columns={columns} rows={rows} rowKey={(e) => String(e.id)} width={width} height={height - 1} selected={sel.index}
        empty={entries === null ? 'asking the hub…' : entries.length === 0 ? 'nothing audited yet' : 'no entry matches the filter'} />
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { audit: object }
}

export const auditView: ViewDef<'audit'> = {
  title: () => 'Audit',
  keys: { title: 'Audit', table: true, bindings: [{ keys: ['enter'], action: 'open', help: 'host the entry is about', short: 'host' }] },
  filterable: true,
  command: { name: 'audit', aliases: ['au'], help: 'audit log: who did what, from where', open: () => ({ kind: 'audit' }) },
  feeds: [{ every: AUDIT_POLL_MS, fetch: async (c) => [{ type: 'audit', entries: await c.call('audit.list', { limit: AUDIT_ROWS }) }] }],
  component: AuditView,
};
