// The one home of human units: what reports, the CLI and alarm messages print.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatRate, formatTime, longDuration, roundDuration } from '../../../src/format/human.js';

describe('human units', () => {
  it('writes sizes the same way in the cockpit, the CLI and reports', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023.6)).toBe('1024 B');
    expect(formatBytes(128 * 1024 ** 2)).toBe('128 MiB');
    expect(formatBytes(2.5 * 1024 ** 5)).toBe('2.5 PiB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatRate(1536)).toBe('1.5 KiB/s');
  });

  it('spells durations out for reports: a decimal below ten seconds, minutes and hours with their rest', () => {
    expect(longDuration(null)).toBe('-');
    expect(longDuration(2)).toBe('2.0 s');
    expect(longDuration(42)).toBe('42 s');
    expect(longDuration(600)).toBe('10 min 0 s');
    expect(longDuration(3600)).toBe('1 h 0 min');
    expect(longDuration(5430)).toBe('1 h 31 min');
  });

  it('rounds durations to one unit for alarm messages, negative ones too', () => {
    expect(roundDuration(44.6)).toBe('45 s');
    expect(roundDuration(690)).toBe('12 min');
    expect(roundDuration(5400)).toBe('1.5 h');
    expect(roundDuration(6 * 86_400)).toBe('6.0 d');
    expect(roundDuration(-180)).toBe('-3 min');
  });

  it('writes clocks with seconds when asked, and leaves an unreadable time as it was', () => {
    const t = Date.parse('2025-03-14T09:05:07Z');
    expect(formatClock(t, true, true)).toBe('09:05:07');
    expect(formatClock(t, true)).toBe('09:05');
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime(new Date(2025, 2, 14, 9, 5, 7).toISOString(), true)).toBe('2025-03-14 09:05:07');
  });
});
