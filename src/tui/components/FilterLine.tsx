// The `/` prompt; the filter applies live to the current table. A leading ! inverts.
import React from 'react';
import { Text } from 'ink';
import { Cursor } from './Cursor.js';

export interface RowFilter {
  text: string;
  inverted: boolean;
}

export function parseFilter(raw: string): RowFilter {
  const inverted = raw.startsWith('!');
  return { text: (inverted ? raw.slice(1) : raw).toLowerCase(), inverted };
}

/** Case-insensitive substring match over a row's searchable text. */
export function applyFilter<R>(rows: readonly R[], raw: string, text: (r: R) => string): readonly R[] {
  const f = parseFilter(raw);
  if (f.text === '') return rows;
  return rows.filter((r) => text(r).toLowerCase().includes(f.text) !== f.inverted);
}

export function FilterLine(props: { text: string }): React.ReactElement {
  return (
    <Text wrap="truncate">
      <Text bold>/</Text>
      {props.text}
      <Cursor />
      <Text dimColor>  enter keeps · esc clears · !text inverts</Text>
    </Text>
  );
}
