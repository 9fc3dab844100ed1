// The alarm feed: open alarms first (worst level, newest), with age and the ack SLA
// timer; a acknowledges (optional note), R resolves (a note is required), / filters by
// level, host, rule or state.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { AlarmView } from '../../protocol/operator.js';
import { Table } from '../components/Table.js';
import { applyFilter } from '../components/FilterLine.js';
import { formatTime } from '../components/format.js';
import { useCockpit, useViewActions, type Cockpit } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import { AGE_TICK_MS, useNow } from '../hooks/useNow.js';
import { useTableSelection } from '../hooks/useTableSelection.js';
import { useTheme } from '../theme.js';
import { LEVELS, LEVEL_TONE, alarmColumns, alarmSearchText, orderAlarms, severityCounts } from '../render/alarmModel.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { filterDetail } from './ViewTitle.js';

export function ackAlarm(cockpit: Cockpit, a: AlarmView): void {
  if (a.state !== 'firing') {
    cockpit.notify(`alarm ${a.id} is ${a.state}: nothing to acknowledge`);
    return;
  }
  cockpit.ask(`acknowledge alarm ${a.id} (${a.rule}) — note, optional`, '', (note) => {
    void cockpit.call('alarms.ack', note === '' ? { id: a.id } : { id: a.id, note }, { mutating: true }).then((r) => {
      if (!r) return;
      cockpit.record({ type: 'alarm', alarm: r });
      cockpit.notify(`alarm ${r.id} acknowledged`, 'ok');
    });
  }, { allowEmpty: true });
}

export function resolveAlarm(cockpit: Cockpit, a: AlarmView): void {
  if (a.state === 'resolved') {
    cockpit.notify(`alarm ${a.id} is already resolved`);
    return;
  }
  cockpit.ask(`resolve alarm ${a.id} (${a.rule}) — note, required`, '', (note) => {
    if (note === '') { cockpit.notify('not resolved: a note is required', 'bad'); return; }
    void cockpit.call('alarms.resolve', { id: a.id, note }, { mutating: true }).then((r) => {
      if (!r) return;
      cockpit.record({ type: 'alarm', alarm: r });
      cockpit.notify(`alarm ${r.id} resolved`, 'ok');
    });
  }, { allowEmpty: true });
}

function Detail({ alarm }: { alarm: AlarmView | undefined }): React.ReactElement {
  if (!alarm) return <Text> </Text>;
  const who = alarm.state === 'resolved'
    ? `resolved ${formatTime(alarm.resolvedAt ?? alarm.lastFiredAt)} by ${alarm.resolvedBy ?? '?'}${alarm.resolveNote ? `: ${alarm.resolveNote}` : ''}`
    : alarm.state === 'acknowledged'
      ? `acked ${formatTime(alarm.ackedAt ?? alarm.lastFiredAt)} by ${alarm.ackedBy ?? '?'}${alarm.ackNote ? `: ${alarm.ackNote}` : ''}`
      : `fired ${formatTime(alarm.firedAt)}${alarm.count > 1 ? `, ${alarm.count} times` : ''}`;
  const failed = alarm.deliveries.filter((d) => !d.ok);
  return (
    <Text wrap="truncate" dimColor>
      {` #${alarm.id} ${alarm.message}${alarm.subject ? ` [${alarm.subject}]` : ''} · ${who}`}
      {failed.length > 0 ? ` · delivery failed: ${failed.map((d) => `${d.channel} (${d.error ?? 'error'})`).join(', ')}` : ''}
    </Text>
  );
}

export function AlarmsView({ width, height, ui, setUi }: ViewProps<{ kind: 'alarms' }>): React.ReactElement {
  const alarms = useCockpitState((s) => s.alarms);
  const now = useNow(AGE_TICK_MS);
  const cockpit = useCockpit();
  const theme = useTheme();
  const rows = useMemo(() => orderAlarms(applyFilter(alarms, ui.filter, alarmSearchText)), [alarms, ui.filter]);
  const columns = useMemo(() => alarmColumns(width, now), [width, now]);
  const sel = useTableSelection(rows, (a) => String(a.id), ui, setUi);
  const tableHeight = height - 2;

  useViewActions((action) => {
    if (sel.move(action, tableHeight - 1)) return true;
    const a = sel.row;
    switch (action) {
      case 'ack': if (a) ackAlarm(cockpit, a); return true;
      case 'resolve': if (a) resolveAlarm(cockpit, a); return true;
      case 'open': if (a?.host) cockpit.navigate({ kind: 'host', host: a.host }); return true;
      default: return false;
    }
  });

  const counts = severityCounts(alarms);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{` Alarms (${rows.length}${rows.length !== alarms.length ? ` of ${alarms.length}` : ''})`}</Text>
        <Text dimColor>{' · open: '}</Text>
        {LEVELS.map((l, i) => (
          <Text key={l} color={counts[l] > 0 ? theme.color(LEVEL_TONE[l]) : undefined} dimColor={counts[l] === 0}>
            {`${i > 0 ? ' ' : ''}${counts[l]} ${l}`}
          </Text>
        ))}
        <Text dimColor>{ui.filter ? ` · ${filterDetail(ui.filter)}` : ''}</Text>
      </Text>
      <Table columns={columns} rows={rows} rowKey={(a) => String(a.id)} width={width} height={tableHeight}
        selected={sel.index} empty={alarms.length === 0 ? 'no alarms: all quiet' : 'no alarm matches the filter'} />
      <Detail alarm={sel.row} />
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { alarms: object }
}

export const alarmsView: ViewDef<'alarms'> = {
  title: () => 'Alarms',
  keys: {
    title: 'Alarms',
    table: true,
    bindings: [
      { keys: ['a'], action: 'ack', help: 'acknowledge (optional note)', short: 'ack', mutating: true },
      { keys: ['R'], action: 'resolve', help: 'resolve (asks for a note)', short: 'resolve', mutating: true },
      { keys: ['enter'], action: 'open', help: 'host of the alarm', short: 'host' },
    ],
  },
  filterable: true,
  command: { name: 'alarms', aliases: ['al'], help: 'alarm feed: ack and resolve', open: () => ({ kind: 'alarms' }) },
  component: AlarmsView,
};
