import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Heatmap } from '../../src/tui/components/Heatmap.js';
import { cellShares, countDirty, decodeBitmap, shadeIndex } from '../../src/tui/components/heatmapGrid.js';
import { ROOT_DIRTY, bitmap } from './fixtures.js';

const density = (s: string): number => [...s].reduce((n, c) => n + ' ·░▒▓█'.indexOf(c), 0);

describe('Heatmap', () => {
  it('shows a fully dirty region denser than a clean one, with the legend counts', () => {
    const { lastFrame } = render(<Heatmap dirty={ROOT_DIRTY} volumeSize={64 * 1024 * 1024} width={64} height={5} />);
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(5);
    // 1024 blocks over 64×4 cells: the first quarter (row 0) is all dirty, the rest clean
    expect(lines[0]).toBe('█'.repeat(64));
    expect(lines[3]).toBe('·'.repeat(64));
    expect(density(lines[0]!)).toBeGreaterThan(density(lines[3]!));
    expect(lines[4]).toContain('dirty 256 blocks / 16.0 MiB of 64.0 MiB');
  });

  it('shades partly dirty cells lighter than fully dirty ones', () => {
    const half = bitmap(64, (i) => i % 2 === 0);
    const { lastFrame } = render(<Heatmap dirty={half} volumeSize={64 * 65536} width={8} height={2} />);
    expect(lastFrame()!.split('\n')[0]).toBe('▓'.repeat(8));
  });

  it('says so when there is no bitmap yet', () => {
    const { lastFrame } = render(<Heatmap dirty={null} volumeSize={1} width={20} height={3} />);
    expect(lastFrame()).toContain('no changed-block bitmap yet');
  });

  it('counts dirty bits LSB first across byte boundaries', () => {
    const bits = decodeBitmap(bitmap(100, (i) => i >= 5 && i < 27));
    expect(countDirty(bits, 0, 100)).toBe(22);
    expect(countDirty(bits, 6, 9)).toBe(3);
    expect(cellShares(bits, 100, 4)).toEqual([20 / 25, 2 / 25, 0, 0]);
    expect([0, 0.1, 0.3, 0.6, 0.9, 1].map(shadeIndex)).toEqual([0, 1, 2, 3, 4, 4]);
  });
});
