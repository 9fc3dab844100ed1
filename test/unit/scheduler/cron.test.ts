// Next runs of cron schedules in IANA zones across both DST transitions, with an injected
// clock (plain instants), in America/New_York and Europe/Berlin.
import { describe, expect, it } from 'vitest';
import { nextRun, nextRuns, parseCron } from '../../../src/scheduler/cron.js';
import { ScheduleError } from '../../../src/scheduler/errors.js';
import { localIso } from '../../../src/scheduler/zone.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const runsBetween = (expr: string, zone: string, from: string, to: string) => {
  const s = parseCron(expr, zone);
  const out: string[] = [];
  for (let t = nextRun(s, at(from)); t < at(to); t = nextRun(s, t)) out.push(iso(t));
  return out;
};

describe('cron next runs in America/New_York', () => {
  it('runs a 02:30 job once on the spring-forward day, at 03:30 EDT', () => {
    expect(runsBetween('30 2 * * *', 'America/New_York', '2025-03-08T12:00:00Z', '2025-03-10T12:00:00Z')).toEqual([
      '2025-03-09T07:30:00.000Z',
      '2025-03-10T06:30:00.000Z',
    ]);
    expect(localIso('America/New_York', at('2025-03-09T07:30:00Z'))).toBe('2025-03-09T03:30:00-04:00');
  });

  it("still runs the spring-forward day's 02:30 job when asked from just after the jump", () => {
    // cron-parser 5 answers 2025-03-10 here and so skips the day
    expect(iso(nextRun(parseCron('30 2 * * *', 'America/New_York'), at('2025-03-09T07:10:00Z')))).toBe('2025-03-09T07:30:00.000Z');
  });

  it('runs a 01:30 job once on the fall-back day, at its first occurrence', () => {
    expect(runsBetween('30 1 * * *', 'America/New_York', '2025-11-01T12:00:00Z', '2025-11-03T12:00:00Z')).toEqual([
      '2025-11-02T05:30:00.000Z',
      '2025-11-03T06:30:00.000Z',
    ]);
  });

  it('does not run a 01:30 job again when asked from inside the repeated hour', () => {
    // 06:00Z is 01:00 EST, the second pass of 01:xx; cron-parser 5 answers 06:30Z (a second run)
    expect(iso(nextRun(parseCron('30 1 * * *', 'America/New_York'), at('2025-11-02T06:00:00Z')))).toBe('2025-11-03T06:30:00.000Z');
  });

  it('runs a 02:30 job once on the fall-back day, at 02:30 EST', () => {
    expect(runsBetween('30 2 * * *', 'America/New_York', '2025-11-01T12:00:00Z', '2025-11-02T23:00:00Z')).toEqual([
      '2025-11-02T07:30:00.000Z',
    ]);
  });

  it('runs an hourly job in both real hours that read 01:00 on the fall-back day', () => {
    expect(runsBetween('0 * * * *', 'America/New_York', '2025-11-02T04:30:00Z', '2025-11-02T07:30:00Z')).toEqual([
      '2025-11-02T05:00:00.000Z',
      '2025-11-02T06:00:00.000Z',
      '2025-11-02T07:00:00.000Z',
    ]);
  });

  it('puts the seed schedule 0 2 * * * at 07:00 UTC in winter and 06:00 UTC in summer', () => {
    const s = parseCron('0 2 * * *', 'America/New_York');
    expect(iso(nextRun(s, at('2025-01-15T12:00:00Z')))).toBe('2025-01-16T07:00:00.000Z');
    expect(iso(nextRun(s, at('2025-07-15T12:00:00Z')))).toBe('2025-07-16T06:00:00.000Z');
  });
});

describe('cron next runs in Europe/Berlin', () => {
  it('runs a 02:30 job once on the spring-forward day, at 03:30 CEST', () => {
    expect(runsBetween('30 2 * * *', 'Europe/Berlin', '2025-03-29T12:00:00Z', '2025-03-31T12:00:00Z')).toEqual([
      '2025-03-30T01:30:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
  });

  it('runs a 02:30 job once on the fall-back day although 02:30 happens twice', () => {
    expect(runsBetween('30 2 * * *', 'Europe/Berlin', '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z')).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('does not run a 02:30 job again when asked from inside the repeated hour', () => {
    expect(iso(nextRun(parseCron('30 2 * * *', 'Europe/Berlin'), at('2025-10-26T01:00:00Z')))).toBe('2025-10-27T01:30:00.000Z');
  });
});

describe('cron fields', () => {
  it('skips the weekend for a 1-5 weekday schedule', () => {
    // Friday 23:00 UTC → Monday 22:00 UTC
    expect(iso(nextRun(parseCron('0 22 * * 1-5', 'UTC'), at('2025-06-06T23:00:00Z')))).toBe('2025-06-09T22:00:00.000Z');
  });

  it('matches either day field when both are restricted, as Vixie cron does', () => {
    const runs = nextRuns(parseCron('0 0 13 * 5', 'UTC'), at('2025-06-01T00:00:00Z'), 3).map(iso);
    expect(runs).toEqual(['2025-06-06T00:00:00.000Z', '2025-06-13T00:00:00.000Z', '2025-06-20T00:00:00.000Z']);
  });

  it('treats day of week 7 as Sunday', () => {
    expect(iso(nextRun(parseCron('0 12 * * 7', 'UTC'), at('2025-06-02T00:00:00Z')))).toBe('2025-06-08T12:00:00.000Z');
  });

  it('rejects an out-of-range field with a one-line ScheduleError', () => {
    expect(() => parseCron('61 0 * * *', 'UTC')).toThrow(ScheduleError);
    expect(() => parseCron('61 0 * * *', 'UTC')).toThrow(/^cron "61 0 \* \* \*": [^\n]+$/);
  });
});
