// A progress bar with eighth-block resolution and an optional percentage.
import React from 'react';
import { Text } from 'ink';
import { useTheme, type Tone } from '../theme.js';

const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function progressBar(ratio: number, width: number): string {
  if (width <= 0) return '';
  const r = Math.max(0, Math.min(1, Number.isFinite(ratio) ? ratio : 0));
  const eighths = Math.round(r * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = full < width ? PARTIAL[eighths % 8]! : '';
  return ('█'.repeat(full) + partial).padEnd(width, '░');
}

export function percentText(ratio: number): string {
  const p = Math.floor(Math.max(0, Math.min(1, Number.isFinite(ratio) ? ratio : 0)) * 100);
  return `${p}%`.padStart(4);
}

export function ProgressBar(props: { ratio: number; width: number; showPercent?: boolean; tone?: Tone }): React.ReactElement {
  const color = useTheme().color(props.tone ?? 'accent');
  const barWidth = props.showPercent === false ? props.width : Math.max(1, props.width - 5);
  const bar = progressBar(props.ratio, barWidth);
  return (
    <Text wrap="truncate">
      {color ? <Text color={color}>{bar}</Text> : bar}
      {props.showPercent === false ? '' : ` ${percentText(props.ratio)}`}
    </Text>
  );
}
