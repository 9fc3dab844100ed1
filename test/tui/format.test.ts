import { describe, expect, it } from 'vitest';
import {
  ageSeconds, fit, formatAge, formatBytes, formatClock, formatDuration, formatPercent, formatRate,
} from '../../src/tui/components/format.js';

describe('format', () => {
  it('writes bytes in IEC units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(12.34 * 1024 * 1024)).toBe('12.3 MiB');
    expect(formatBytes(200 * 1024 ** 3)).toBe('200 GiB');
    expect(formatRate(10 * 1024 * 1024)).toBe('10.0 MiB/s');
  });

  it('writes durations with two units at most', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(200)).toBe('3m 20s');
    expect(formatDuration(180)).toBe('3m');
    expect(formatDuration(3900)).toBe('1h 5m');
    expect(formatDuration(2 * 86400 + 3 * 3600 + 5)).toBe('2d 3h');
  });

  it('writes ages coarsely so tables change about once a minute', () => {
    expect(formatAge(42)).toBe('42s');
    expect(formatAge(200)).toBe('3m');
    expect(formatAge(3 * 3600 + 125)).toBe('3h 2m');
    expect(ageSeconds(null, 0)).toBeNull();
    expect(ageSeconds('2025-01-01T00:00:00Z', Date.parse('2025-01-01T00:01:00Z'))).toBe(60);
  });

  it('writes clocks, percentages and fitted cells', () => {
    expect(formatClock(Date.parse('2025-03-14T09:05:00Z'), true)).toBe('09:05');
    expect(formatPercent(19 / 20)).toBe('95.0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('—');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4, 'right')).toBe('  ab');
  });
});
