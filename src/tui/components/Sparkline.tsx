// ▁▂▃▄▅▆▇█ of the newest values that fit in `width`.
import React from 'react';
import { Text } from 'ink';
import { useTheme, type Tone } from '../theme.js';

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[], width: number, max?: number): string {
  if (width <= 0) return '';
  const data = values.slice(-width);
  const top = max ?? data.reduce((m, v) => Math.max(m, v), 0);
  const bars = data.map((v) => {
    if (!(top > 0) || !(v > 0)) return BARS[0]!;
    return BARS[Math.min(BARS.length - 1, Math.max(0, Math.ceil((v / top) * BARS.length) - 1))]!;
  });
  return ' '.repeat(width - data.length) + bars.join('');
}

export function Sparkline(props: { values: readonly number[]; width: number; max?: number; tone?: Tone }): React.ReactElement {
  const color = useTheme().color(props.tone);
  const text = sparkline(props.values, props.width, props.max);
  return color ? <Text color={color}>{text}</Text> : <Text>{text}</Text>;
}
