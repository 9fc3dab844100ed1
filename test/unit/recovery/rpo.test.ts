// The RPO rule every view, metric, alarm and gate uses: edges of ok, near and breached.
import { describe, expect, it } from 'vitest';
import { meetsRpo, rpoStatus, rpoStatusAt } from '../../../src/recovery/rpo.js';

const NOW = Date.parse('2025-03-13T12:00:00Z');
const ago = (s: number) => NOW - s * 1000;

describe('rpoStatus', () => {
  it('is ok up to three quarters of the RPO and near from there up to the RPO itself', () => {
    expect(rpoStatus({ lastPointAt: ago(675), rpoSeconds: 900 }, NOW)).toEqual({ level: 'ok', age: 675 });
    expect(rpoStatus({ lastPointAt: ago(676), rpoSeconds: 900 }, NOW).level).toBe('near');
    expect(rpoStatus({ lastPointAt: ago(900), rpoSeconds: 900 }, NOW).level).toBe('near');
  });

  it('is breached one millisecond past the RPO, and when there is no point at all', () => {
    expect(rpoStatus({ lastPointAt: ago(900) - 1, rpoSeconds: 900 }, NOW).level).toBe('breached');
    expect(rpoStatus({ lastPointAt: null, rpoSeconds: 900 }, NOW)).toEqual({ level: 'breached', age: null });
  });

  it('counts a new host from when it was added when asked to, so it is not breached at once', () => {
    expect(rpoStatus({ lastPointAt: null, rpoSeconds: 900, since: ago(60) }, NOW)).toEqual({ level: 'ok', age: 60 });
    expect(rpoStatus({ lastPointAt: null, rpoSeconds: 900, since: ago(901) }, NOW).level).toBe('breached');
    expect(rpoStatus({ lastPointAt: ago(10), rpoSeconds: 900, since: ago(5000) }, NOW).age).toBe(10);
  });

  it('is untiered without an RPO, still with the age, and never meets or misses it', () => {
    const s = rpoStatus({ lastPointAt: ago(1e6), rpoSeconds: null }, NOW);
    expect(s).toEqual({ level: 'untiered', age: 1e6 });
    expect(meetsRpo(s)).toBe(false);
  });

  it('reads a point newer than the clock as age zero', () => {
    expect(rpoStatus({ lastPointAt: NOW + 5000, rpoSeconds: 60 }, NOW)).toEqual({ level: 'ok', age: 0 });
  });

  it('takes ISO times as host views carry them, an unreadable one as no point', () => {
    expect(rpoStatusAt('2025-03-13T11:50:00Z', 900, NOW)).toEqual({ level: 'ok', age: 600 });
    expect(rpoStatusAt('yesterday', 900, NOW).level).toBe('breached');
    expect(meetsRpo(rpoStatusAt('2025-03-13T11:45:00Z', 900, NOW))).toBe(true);
  });
});
