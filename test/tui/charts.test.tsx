import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { BrailleChart } from '../../src/tui/components/BrailleChart.js';
import { brailleRows, bucketByTime, niceMax } from '../../src/tui/components/braille.js';
import { ProgressBar, progressBar } from '../../src/tui/components/ProgressBar.js';
import { Sparkline, sparkline } from '../../src/tui/components/Sparkline.js';
import { formatRate } from '../../src/tui/components/format.js';

describe('braille plotting', () => {
  it('fills every dot for a series at the maximum and none for zeros', () => {
    expect(brailleRows([10, 10, 10, 10], 2, 2, 10, true)).toEqual(['⣿⣿', '⣿⣿']);
    expect(brailleRows([0, 0], 1, 1, 10, true)).toEqual([' ']);
  });

  it('fills from the bottom in proportion and right-aligns short series', () => {
    const [top, bottom] = brailleRows([5, 5], 2, 2, 10, true);
    expect(top).toBe('  ');
    expect(bottom).toBe(' ⣿');
  });

  it('draws a line mode with the baseline for zero', () => {
    expect(brailleRows([0, 0], 1, 1, 10, false)).toEqual(['⣀']);
  });

  it('rounds the axis maximum to 1, 2, 2.5 or 5 in human units', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(40 * 1024 * 1024)).toBe(50 * 1024 * 1024);
  });

  it('buckets samples on absolute time boundaries and holds short gaps', () => {
    const at = (s: number, value: number) => ({ time: new Date(s * 1000).toISOString(), value });
    const b = bucketByTime([at(100, 1), at(110, 3), at(130, 5)], 4, 40_000, 139_000);
    expect(b).toEqual([1, 3, 3, 5]);
    const gap = bucketByTime([at(0, 1), at(100, 2)], 10, 100_000, 100_000, 5_000);
    expect(gap.slice(0, 3)).toEqual([null, null, null]);
  });

  it('renders a chart with axis labels in human units', () => {
    const values = Array.from({ length: 40 }, (_, i) => i * 1024 * 1024);
    const { lastFrame } = render(<BrailleChart values={values} width={40} height={4} formatValue={formatRate}
      xLabels={{ left: '-15m', right: 'now' }} />);
    const frame = lastFrame()!;
    expect(frame).toContain('50.0 MiB/s┤');
    expect(frame).toContain('0 B/s┤');
    expect(frame).toMatch(/-15m\s+now/);
    expect(frame).toMatch(/[⡀-⣿]/);
  });
});

describe('sparkline and progress bar', () => {
  it('scales values to ▁..█', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▁▂▄█');
    expect(sparkline([8], 3)).toBe('  █');
    const { lastFrame } = render(<Sparkline values={[1, 8]} width={2} />);
    expect(lastFrame()).toBe('▁█');
  });

  it('draws progress with eighths and a percentage', () => {
    expect(progressBar(0.5, 10)).toBe('█████░░░░░');
    expect(progressBar(1, 4)).toBe('████');
    expect(progressBar(0.0625, 2)).toBe('▏░');
    const { lastFrame } = render(<ProgressBar ratio={0.42} width={15} />);
    expect(lastFrame()).toBe('████▎░░░░░  42%');
  });
});
