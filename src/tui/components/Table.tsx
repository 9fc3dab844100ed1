// A virtualised table from Box/Text: only the rows that fit are rendered, so 10 000 rows
// cost what 30 do. Each row is one line of pre-fitted cells.
import React, { useRef } from 'react';
import { Box, Text } from 'ink';
import { useTheme, type Tone } from '../theme.js';
import { fit } from './format.js';

export interface Column<R> {
  key: string;
  title: string;
  /** fixed width, or the minimum width of a flex column */
  width: number;
  /** share of the width left over by fixed columns */
  flex?: number;
  align?: 'left' | 'right';
  cell: (row: R) => string;
  tone?: (row: R) => Tone | undefined;
}

export interface SortState {
  key: string;
  descending: boolean;
}

export interface TableProps<R> {
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey: (row: R) => string;
  width: number;
  /** lines, including the header line */
  height: number;
  /** index of the selected row, -1 for none */
  selected: number;
  sort?: SortState | undefined;
  empty?: string;
}

const GAP = 1;

export function columnWidths<R>(columns: readonly Column<R>[], width: number): number[] {
  const fixed = columns.reduce((sum, c) => sum + c.width, 0) + GAP * Math.max(0, columns.length - 1);
  const flexTotal = columns.reduce((sum, c) => sum + (c.flex ?? 0), 0);
  const spare = Math.max(0, width - fixed);
  let given = 0;
  const widths = columns.map((c) => {
    if (!c.flex) return c.width;
    const extra = Math.floor((spare * c.flex) / flexTotal);
    given += extra;
    return c.width + extra;
  });
  // hand out the rounding remainder to the last flex column
  const last = columns.map((c) => (c.flex ?? 0) > 0).lastIndexOf(true);
  if (last >= 0) widths[last] = widths[last]! + (spare - given);
  return widths;
}

/** The first visible row, moved as little as possible to keep `selected` in view. */
export function scrollOffset(previous: number, selected: number, visible: number, count: number): number {
  let offset = previous;
  if (selected >= 0 && selected < offset) offset = selected;
  if (selected >= 0 && selected >= offset + visible) offset = selected - visible + 1;
  return Math.max(0, Math.min(offset, count - visible));
}

export function Table<R>(props: TableProps<R>): React.ReactElement {
  const { columns, rows, width, height, selected, sort } = props;
  const theme = useTheme();
  const offsetRef = useRef(0);
  const visible = Math.max(0, height - 1);
  const offset = scrollOffset(offsetRef.current, selected, visible, rows.length);
  offsetRef.current = offset;
  const widths = columnWidths(columns, width);
  const slice = rows.slice(offset, offset + visible);
  const gap = ' '.repeat(GAP);

  const header = columns.map((c, i) => {
    const mark = sort && sort.key === c.key ? (sort.descending ? '▼' : '▲') : '';
    return fit(c.title + mark, widths[i]!, c.align);
  }).join(gap);

  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Text bold wrap="truncate">{header}</Text>
      {slice.length === 0 && props.empty ? <Text dimColor wrap="truncate">{props.empty}</Text> : null}
      {slice.map((row, n) => {
        const index = offset + n;
        return (
          <Text key={props.rowKey(row)} inverse={index === selected} wrap="truncate">
            {columns.map((c, i) => {
              const text = fit(c.cell(row), widths[i]!, c.align) + (i < columns.length - 1 ? gap : '');
              const color = theme.color(c.tone?.(row));
              return color ? <Text key={c.key} color={color}>{text}</Text> : text;
            })}
          </Text>
        );
      })}
    </Box>
  );
}
