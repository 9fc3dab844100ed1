// Top line: hub, where it is, connection, host counts, read-only mark, and a clock that
// ticks once a minute (local and UTC HH:MM).
import React, { memo } from 'react';
import { Box, Text } from 'ink';
import type { ConnectionState } from '../client.js';
import { useNow } from '../hooks/useNow.js';
import { useTheme, type Tone } from '../theme.js';
import { formatClock } from './format.js';

export interface HeaderProps {
  width: number;
  hubName: string | null;
  target: string;
  connection: ConnectionState;
  hostsConnected: number;
  hostsTotal: number;
  readonly: boolean;
}

const CONNECTION: Record<ConnectionState, { text: string; tone: Tone }> = {
  connecting: { text: '◌ connecting', tone: 'warn' },
  connected: { text: '● connected', tone: 'ok' },
  lost: { text: '✕ hub connection lost', tone: 'bad' },
};

interface Part {
  text: string;
  tone?: Tone;
  bold?: boolean;
  dim?: boolean;
  /** dropped first when the line is too narrow */
  optional?: boolean;
}

export const Header = memo(function Header(props: HeaderProps): React.ReactElement {
  const theme = useTheme();
  const now = useNow(60_000);
  const clock = `${formatClock(now, false)} local ${formatClock(now, true)} UTC`;
  const conn = CONNECTION[props.connection];
  let parts: Part[] = [
    { text: 'DR Cockpit', bold: true },
    { text: props.hubName ?? '…' },
    { text: props.target, dim: true, optional: true },
    { text: conn.text, tone: conn.tone },
    { text: `hosts ${props.hostsConnected}/${props.hostsTotal}` },
  ];
  if (props.readonly) parts.push({ text: 'read-only', tone: 'warn', bold: true });
  const room = props.width - clock.length - 2;
  const length = (ps: Part[]): number => ps.reduce((n, p) => n + p.text.length + 3, 1);
  if (length(parts) > room) parts = parts.filter((p) => !p.optional);
  const pad = Math.max(1, props.width - length(parts) - clock.length);
  return (
    <Box width={props.width} height={1}>
      <Text wrap="truncate">
        {' '}
        {parts.map((p, i) => (
          <Text key={i}>
            {i > 0 ? <Text dimColor> │ </Text> : null}
            <Text bold={p.bold ?? false} dimColor={p.dim ?? false} color={theme.color(p.tone)}>{p.text}</Text>
          </Text>
        ))}
        {' '.repeat(pad)}
        <Text>{clock}</Text>
      </Text>
    </Box>
  );
});
