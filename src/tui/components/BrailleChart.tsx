// A braille area/line chart with a labelled y axis (human units) and an x axis line.
import React from 'react';
import { Box, Text } from 'ink';
import { useTheme, type Tone } from '../theme.js';
import { brailleRows, niceMax } from './braille.js';
import { fit } from './format.js';

export interface BrailleChartProps {
  /** one value per dot column, oldest first; null = no data */
  values: readonly (number | null)[];
  /** total width, axis labels included */
  width: number;
  /** plot height in lines (the x axis adds one) */
  height: number;
  formatValue: (v: number) => string;
  xLabels?: { left: string; middle?: string; right: string };
  area?: boolean;
  tone?: Tone;
  /** fixed top of the scale; default: a round number above the data's maximum */
  max?: number;
}

function axisLabels(max: number, formatValue: (v: number) => string): string[] {
  return [formatValue(max), formatValue(max / 2), formatValue(0)];
}

/** Columns taken by the y-axis labels and the axis line. */
export function chartGutter(max: number, formatValue: (v: number) => string): number {
  return Math.max(...axisLabels(max, formatValue).map((l) => l.length)) + 1;
}

export function BrailleChart(props: BrailleChartProps): React.ReactElement {
  const { height, formatValue } = props;
  const theme = useTheme();
  const dataMax = props.values.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  const max = props.max ?? niceMax(dataMax);
  const labels = axisLabels(max, formatValue);
  const gutter = chartGutter(max, formatValue);
  const plotWidth = Math.max(1, props.width - gutter);
  const rows = brailleRows(props.values, plotWidth, Math.max(1, height), max, props.area ?? true);
  const labelAt = (i: number): string => {
    if (i === 0) return labels[0]!;
    if (i === rows.length - 1) return labels[2]!;
    if (rows.length >= 5 && i === Math.floor((rows.length - 1) / 2)) return labels[1]!;
    return '';
  };
  const color = theme.color(props.tone);
  const x = props.xLabels;
  let axis = '';
  if (x) {
    const mid = x.middle ?? '';
    const leftPart = fit(x.left, Math.floor(plotWidth / 2) - Math.floor(mid.length / 2));
    axis = ' '.repeat(gutter) + leftPart + mid + fit(x.right, plotWidth - leftPart.length - mid.length, 'right');
  }
  return (
    <Box flexDirection="column" width={props.width}>
      {rows.map((row, i) => (
        <Text key={i} wrap="truncate">
          <Text dimColor>{fit(labelAt(i), gutter - 1, 'right')}┤</Text>
          {color ? <Text color={color}>{row}</Text> : row}
        </Text>
      ))}
      {x ? <Text dimColor wrap="truncate">{axis}</Text> : null}
    </Box>
  );
}
