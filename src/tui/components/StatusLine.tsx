// The line above the footer: a y/n question, a text input, or a transient message.
import React from 'react';
import { Text } from 'ink';
import { useTheme, type Tone } from '../theme.js';
import { Cursor } from './Cursor.js';

export function ConfirmLine(props: { question: string }): React.ReactElement {
  const color = useTheme().color('warn');
  return (
    <Text wrap="truncate">
      <Text bold color={color}>{props.question}</Text>
      {' [y/N] '}
      <Cursor />
    </Text>
  );
}

export function AskLine(props: { label: string; text: string }): React.ReactElement {
  return (
    <Text wrap="truncate">
      <Text bold>{props.label}: </Text>
      {props.text}
      <Cursor />
      <Text dimColor>  enter accepts · esc cancels</Text>
    </Text>
  );
}

export function MessageLine(props: { text: string; tone?: Tone | undefined }): React.ReactElement {
  const color = useTheme().color(props.tone);
  return <Text wrap="truncate" color={color}>{props.text}</Text>;
}
