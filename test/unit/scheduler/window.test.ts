// Daily time windows, including ones that wrap past midnight, evaluated with an injected clock.
import { describe, expect, it } from 'vitest';
import { windowState } from '../../../src/scheduler/window.js';

const at = (iso: string) => Date.parse(iso);
const night = { startMinute: 22 * 60, endMinute: 6 * 60 };
const office = { startMinute: 9 * 60, endMinute: 17 * 60 };

describe('time windows', () => {
  it('is open on both sides of midnight for 22:00-06:00 and closed in the day', () => {
    expect(windowState(night, 'UTC', at('2025-06-02T23:00:00Z')).open).toBe(true);
    expect(windowState(night, 'UTC', at('2025-06-03T00:30:00Z')).open).toBe(true);
    expect(windowState(night, 'UTC', at('2025-06-03T05:59:00Z')).open).toBe(true);
    expect(windowState(night, 'UTC', at('2025-06-03T06:00:00Z')).open).toBe(false);
    expect(windowState(night, 'UTC', at('2025-06-03T12:00:00Z')).open).toBe(false);
    expect(windowState(night, 'UTC', at('2025-06-03T22:00:00Z')).open).toBe(true);
  });

  it('opens at 22:00 the same day when closed at noon, and closes at 06:00 the next day when open at 23:00', () => {
    const noon = windowState(night, 'UTC', at('2025-06-03T12:00:00Z'));
    expect(new Date(noon.opensAt).toISOString()).toBe('2025-06-03T22:00:00.000Z');
    expect(noon.opensAt - at('2025-06-03T12:00:00Z')).toBe(10 * 3_600_000);
    const late = windowState(night, 'UTC', at('2025-06-03T23:00:00Z'));
    expect(new Date(late.closesAt).toISOString()).toBe('2025-06-04T06:00:00.000Z');
  });

  it('evaluates the window in its zone, across the spring-forward night in New York', () => {
    // 00:00 EST on 2025-03-09: open; it closes at 06:00 EDT = 10:00 UTC (the night is an hour short)
    const s = windowState(night, 'America/New_York', at('2025-03-09T05:00:00Z'));
    expect(s.open).toBe(true);
    expect(new Date(s.closesAt).toISOString()).toBe('2025-03-09T10:00:00.000Z');
  });

  it('is closed before and after a window that does not wrap', () => {
    expect(windowState(office, 'Europe/Berlin', at('2025-06-03T06:59:00Z')).open).toBe(false); // 08:59 CEST
    expect(windowState(office, 'Europe/Berlin', at('2025-06-03T07:00:00Z')).open).toBe(true); // 09:00 CEST
    expect(windowState(office, 'Europe/Berlin', at('2025-06-03T15:00:00Z')).open).toBe(false); // 17:00 CEST
  });
});
