// Every key and command, generated from the keymap, flowed into columns; j/k scroll
// when the terminal is too small to show it all.
import React from 'react';
import { Box, Text } from 'ink';
import { helpSections } from '../keymap.js';
import { fit } from './format.js';

export interface HelpOverlayProps {
  width: number;
  height: number;
  readonly: boolean;
  /** first line shown, when it does not all fit */
  offset?: number;
}

type Line = { kind: 'title'; text: string } | { kind: 'entry'; keys: string; help: string };

const MIN_COLUMN = 38;

export function helpLines(readonly: boolean): Line[] {
  return helpSections(readonly).flatMap((s): Line[] => [
    { kind: 'title', text: s.title },
    ...s.entries.map((e): Line => ({ kind: 'entry', keys: e.keys, help: e.help })),
  ]);
}

/** As few columns as it takes, at least MIN_COLUMN wide each. */
function layout(width: number, height: number, lineCount: number): { columns: number; perColumn: number } {
  const perColumn = Math.max(1, height - 1);
  const fit = Math.max(1, Math.floor(width / MIN_COLUMN));
  return { columns: Math.max(1, Math.min(fit, Math.ceil(lineCount / perColumn))), perColumn };
}

/** How far the help can scroll at this size (0 when it all fits). */
export function helpMaxOffset(readonly: boolean, width: number, height: number): number {
  const count = helpLines(readonly).length;
  const { columns, perColumn } = layout(width, height, count);
  return Math.max(0, count - columns * perColumn);
}

export function HelpOverlay(props: HelpOverlayProps): React.ReactElement {
  const all = helpLines(props.readonly);
  const { columns: n, perColumn } = layout(props.width, props.height, all.length);
  const maxOffset = helpMaxOffset(props.readonly, props.width, props.height);
  const offset = Math.max(0, Math.min(props.offset ?? 0, maxOffset));
  const lines = all.slice(offset, offset + n * perColumn);
  const columns: Line[][] = [];
  for (let i = 0; i < lines.length; i += perColumn) columns.push(lines.slice(i, i + perColumn));
  const colWidth = Math.floor(props.width / n);
  const more = maxOffset > 0 ? ` · j/k scroll (${offset}/${maxOffset})` : '';
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflowY="hidden">
      <Text bold wrap="truncate">
        {' Help — keys and commands'}
        <Text dimColor>{props.readonly ? ' (read-only: actions hidden)' : ''} · esc or ? closes{more}</Text>
      </Text>
      <Box flexDirection="row">
        {columns.map((col, c) => {
          const keyWidth = Math.min(Math.floor(colWidth / 2), Math.max(...col.map((l) => (l.kind === 'entry' ? l.keys.length : 0))) + 1);
          return (
            <Box key={c} flexDirection="column" width={colWidth}>
              {col.map((l, i) => (l.kind === 'title'
                ? <Text key={i} bold underline wrap="truncate">{` ${l.text}`}</Text>
                : <Text key={i} wrap="truncate">{`  ${fit(l.keys, keyWidth)} `}<Text dimColor>{l.help}</Text></Text>))}
            </Box>
          );
        })}
      </Box>
    </Box>
  );
}
