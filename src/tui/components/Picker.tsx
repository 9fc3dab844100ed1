// A modal list to choose one row from (e.g. the recovery point to restore).
import React from 'react';
import { Box, Text } from 'ink';
import type { PickRow, PickSpec } from '../hooks/useCockpit.js';
import { Table, type Column } from './Table.js';

export function Picker(props: { spec: PickSpec; selected: number; width: number; height: number }): React.ReactElement {
  const { spec } = props;
  const columns: Column<PickRow>[] = spec.columns.map((c, i) => ({
    key: String(i), title: c.title, width: c.width, flex: c.flex ?? 0, align: c.align ?? 'left',
    cell: (r) => r.cells[i] ?? '',
  }));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold wrap="truncate">
        {` ${spec.title}`}
        <Text dimColor> · ↑/↓ choose · enter picks · esc cancels</Text>
      </Text>
      <Table columns={columns} rows={spec.rows} rowKey={(r) => r.key} width={props.width}
        height={props.height - 1} selected={props.selected} empty={spec.empty} />
    </Box>
  );
}
