// The `:` prompt, with the commands (or host names) that complete what is typed.
import React from 'react';
import { Text } from 'ink';
import { completeCommand } from '../keymap.js';
import { Cursor } from './Cursor.js';

export function CommandLine(props: { text: string; hostNames: readonly string[] }): React.ReactElement {
  const { candidates } = completeCommand(props.text, props.hostNames);
  const hint = candidates.length > 0 && candidates.length <= 12 ? `  ${candidates.join(' ')}  (tab completes)` : '';
  return (
    <Text wrap="truncate">
      <Text bold>:</Text>
      {props.text}
      <Cursor />
      <Text dimColor>{hint}</Text>
    </Text>
  );
}
