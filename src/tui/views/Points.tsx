// Recovery points of one host (or all), newest first; r restores the selected one, R repairs
// the damaged chunks of the host (of every host in the list of all).
import React, { useMemo } from 'react';
import { Box } from 'ink';
import type { PointView } from '../../protocol/operator.js';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { lastCleanIds, pointColumns, pointSearchText } from '../render/pointModel.js';
import { newestFirst, restorePoint } from './actions.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle, filterDetail } from './ViewTitle.js';

export function PointsView({ view, width, height, ui, setUi }: ViewProps<{ kind: 'points'; host: string | null }>): React.ReactElement {
  const points = useCockpitState((s) => s.points);
  const now = useNow(AGE_TICK_MS);
  const cockpit = useCockpit();
  const rows = useMemo(() => {
    const mine = view.host === null ? points : points.filter((p) => p.host === view.host);
    return newestFirst(applyFilter(mine, ui.filter, pointSearchText));
  }, [points, view.host, ui.filter]);
  const clean = useMemo(() => lastCleanIds(points), [points]);
  const columns = useMemo(() => pointColumns(now, view.host === null, width, clean), [now, view.host, width, clean]);
  const sel = useTableSelection(rows, (p) => String(p.id), ui, setUi);
  const tableHeight = height - 1;

  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    switch (action) {
      case 'open':
        if (sel.row) cockpit.navigate({ kind: 'host', host: sel.row.host });
        return true;
      case 'restore':
        if (sel.row) restorePoint(cockpit, sel.row);
        return true;
      case 'repair':
        cockpit.run('store.repair', view.host === null ? {} : { host: view.host }, (r) =>
          r.chunks.length ? `repair: ${r.healed} chunk(s) healed, ${r.stillDamaged} still damaged` : 'repair: no damaged chunks');
        return true;
      default:
        return false;
    }
  });

  const verified = rows.filter((p) => p.verifiedAt).length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`${view.host ? `Points of ${view.host}` : 'Points'} (${rows.length})`}
        details={[`${verified} verified`, filterDetail(ui.filter)]} />
      <Table columns={columns} rows={rows} rowKey={(p) => String(p.id)} width={width} height={tableHeight}
        selected={sel.index} empty={points.length === 0 ? 'no recovery points yet' : 'no point matches'} />
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { points: { host: string | null } }
}

export const pointsView: ViewDef<'points'> = {
  title: (v) => (v.host ? `Points of ${v.host}` : 'Points'),
  keys: {
    title: 'Points',
    table: true,
    bindings: [
      { keys: ['enter'], action: 'open', help: 'host of the point', short: 'host' },
      { keys: ['r'], action: 'restore', help: 'restore selected point', short: 'restore', mutating: true },
      { keys: ['R'], action: 'repair', help: 'repair damaged chunks from agents and copies', short: 'repair', mutating: true },
    ],
  },
  filterable: true,
  command: {
    name: 'points', aliases: ['pt'], arg: { name: 'HOST', optional: true }, help: 'recovery points (of one host)',
    open: ([host]) => ({ kind: 'points', host: host ?? null }),
  },
  component: PointsView,
};
