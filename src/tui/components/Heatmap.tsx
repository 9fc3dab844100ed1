// A volume's changed blocks as a grid: each cell's shade is the share of dirty blocks
// among the blocks it covers. Memoised on the bitmap object, so it re-renders only when
// a new bitmap for this volume arrives.
import React, { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import type { DirtyBitmapView } from '../../protocol/operator.js';
import { useTheme, type Tone } from '../theme.js';
import { formatBytes } from './format.js';
import { SHADES, cellShares, decodeBitmap, shadeIndex } from './heatmapGrid.js';

export interface HeatmapProps {
  dirty: DirtyBitmapView | null;
  volumeSize: number;
  width: number;
  /** lines, legend included */
  height: number;
}

const TONES: readonly (Tone | undefined)[] = [undefined, 'warn', 'warn', 'bad', 'bad'];

export function legendText(dirty: DirtyBitmapView, volumeSize: number): string {
  return `dirty ${dirty.dirtyCount.toLocaleString('en-US')} blocks / ${formatBytes(dirty.dirtyBytes)} of ${formatBytes(volumeSize)}`;
}

export const Heatmap = memo(function Heatmap(props: HeatmapProps): React.ReactElement {
  const { dirty, width, height } = props;
  const theme = useTheme();
  const gridRows = Math.max(1, height - 1);
  const shades = useMemo(() => {
    if (!dirty) return [];
    return cellShares(decodeBitmap(dirty), dirty.blockCount, width * gridRows).map(shadeIndex);
  }, [dirty, width, gridRows]);
  if (!dirty) return <Text dimColor>no changed-block bitmap yet</Text>;

  const lines: number[][] = [];
  for (let i = 0; i < shades.length; i += width) lines.push(shades.slice(i, i + width));
  const perCell = Math.max(1, Math.round(dirty.blockCount / Math.max(1, shades.length)));
  const key = ` ${SHADES[0]} clean ${SHADES[1]} <25% ${SHADES[2]} <50% ${SHADES[3]} <75% ${SHADES[4]} ≥75%`;
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, i) => <Text key={i} wrap="truncate">{segments(line, theme.colors)}</Text>)}
      <Text wrap="truncate">
        {legendText(dirty, props.volumeSize)}
        <Text dimColor>{` · cell ≈ ${perCell} blocks ${key}`}</Text>
      </Text>
    </Box>
  );

  function segments(line: number[], colors: boolean): React.ReactNode[] {
    const out: React.ReactNode[] = [];
    let start = 0;
    for (let i = 1; i <= line.length; i++) {
      const same = i < line.length && (line[i] === 0) === (line[start] === 0) && TONES[line[i]!] === TONES[line[start]!];
      if (same) continue;
      const text = line.slice(start, i).map((s) => SHADES[s]).join('');
      const tone = TONES[line[start]!];
      if (line[start] === 0) out.push(<Text key={start} dimColor>{text}</Text>);
      else if (colors && tone) out.push(<Text key={start} color={theme.color(tone)}>{text}</Text>);
      else out.push(text);
      start = i;
    }
    return out;
  }
});
