// Bottom line: the keys that work in the current view, from the keymap.
import React, { memo } from 'react';
import { Text } from 'ink';
import { useTheme } from '../theme.js';

export interface FooterProps {
  hints: readonly { keys: string; help: string }[];
  width: number;
}

export const Footer = memo(function Footer({ hints, width }: FooterProps): React.ReactElement {
  const theme = useTheme();
  const shown: { keys: string; help: string }[] = [];
  let used = 1;
  for (const h of hints) {
    const w = h.keys.length + h.help.length + 3;
    if (used + w > width) break;
    shown.push(h);
    used += w;
  }
  return (
    <Text wrap="truncate">
      {' '}
      {shown.map((h) => (
        <Text key={h.keys + h.help}>
          <Text bold color={theme.color('accent')}>{h.keys}</Text>
          <Text dimColor>{` ${h.help}  `}</Text>
        </Text>
      ))}
    </Text>
  );
});
