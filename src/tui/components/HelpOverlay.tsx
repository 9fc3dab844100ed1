// Every key and command, generated from the keymap, flowed into as many columns as the
// body needs.
import React from 'react';
import { Box, Text } from 'ink';
import { helpSections } from '../keymap.js';
import { fit } from './format.js';

export interface HelpOverlayProps {
  width: number;
  height: number;
  readonly: boolean;
}

type Line = { kind: 'title'; text: string } | { kind: 'entry'; keys: string; help: string };

export function HelpOverlay(props: HelpOverlayProps): React.ReactElement {
  const lines: Line[] = helpSections(props.readonly).flatMap((s): Line[] => [
    { kind: 'title', text: s.title },
    ...s.entries.map((e): Line => ({ kind: 'entry', keys: e.keys, help: e.help })),
  ]);
  const perColumn = Math.max(1, props.height - 1);
  const columns: Line[][] = [];
  for (let i = 0; i < lines.length; i += perColumn) columns.push(lines.slice(i, i + perColumn));
  const colWidth = Math.max(10, Math.floor(props.width / Math.max(1, columns.length)));
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      <Text bold wrap="truncate">
        {' Help — keys and commands'}
        <Text dimColor>{props.readonly ? ' (read-only: actions hidden)' : ''} · esc or ? closes</Text>
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
