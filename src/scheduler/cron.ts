// Next runs of a five-field cron expression in an IANA zone. cron-parser parses and checks
// the fields; the walk over days is ours because cron-parser 5 gets DST wrong at the edges
// (from inside New York's spring-forward gap it skips that day's 02:30 run; from inside the
// repeated hour of a fall-back it runs a 01:30 job a second time; prev() disagrees with
// next()) and costs ~0.3 ms per step with a zone, too slow for thousands of schedules.
//
// DST rules (Vixie cron's, with java.time's placement of skipped times):
// - a local time the clocks jump over runs once, moved forward by the gap (02:30 → 03:30);
// - a local time that occurs twice runs once, at its first occurrence, unless the
//   expression runs every hour, in which case it runs in both hours (they are real hours).
import { CronExpressionParser } from 'cron-parser';
import { DAY, HOUR, MINUTE, isKnownZone, localTime, offsetMinutes, transitionBetween } from './zone.js';
import { ScheduleError } from './errors.js';

export interface CronSpec {
  text: string;
  zone: string;
  minutes: number[];
  hours: number[];
  /** indexed 1..31 */
  daysOfMonth: boolean[];
  /** indexed 1..12 */
  months: boolean[];
  /** indexed 0..6, Sunday = 0 */
  weekdays: boolean[];
  /** both day fields restricted: a day matches when either does (Vixie cron) */
  dayOr: boolean;
  everyHour: boolean;
}

/** How far ahead to look before calling an expression one that never runs. */
const HORIZON_DAYS = 366 * 8;

function flags(values: readonly (number | string)[], size: number, map: (n: number) => number = (n) => n): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) if (typeof v === 'number') out[map(v)] = true;
  return out;
}

type Fields = ReturnType<typeof CronExpressionParser.parse>['fields'];

/** cron-parser takes ~70 µs per expression; schedules share a few, so parse each text once */
const parsedFields = new Map<string, Fields>();

function fieldsOf(text: string): Fields {
  let f = parsedFields.get(text);
  if (!f) {
    try {
      f = CronExpressionParser.parse(text).fields;
    } catch (e) {
      throw new ScheduleError(`cron "${text}": ${(e as Error).message}`);
    }
    if (parsedFields.size > 10_000) parsedFields.clear();
    parsedFields.set(text, f);
  }
  return f;
}

/** Parse and check a cron expression for a zone; throws ScheduleError naming what is wrong. */
export function parseCron(text: string, zone: string): CronSpec {
  if (!isKnownZone(zone)) throw new ScheduleError(`time zone "${zone}" is not known`);
  const f = fieldsOf(text.trim());
  const nums = (vs: readonly (number | string)[]) => vs.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  const hours = nums(f.hour.values);
  return {
    text,
    zone,
    minutes: nums(f.minute.values),
    hours,
    daysOfMonth: flags(f.dayOfMonth.values, 32),
    months: flags(f.month.values, 13),
    weekdays: flags(f.dayOfWeek.values, 7, (n) => n % 7),
    dayOr: !f.dayOfMonth.isWildcard && !f.dayOfWeek.isWildcard,
    everyHour: hours.length === 24,
  };
}

function dayMatches(s: CronSpec, month: number, day: number, weekday: number): boolean {
  if (!s.months[month]) return false;
  const dom = s.daysOfMonth[day]!;
  const dow = s.weekdays[weekday]!;
  return s.dayOr ? dom || dow : dom && dow;
}

/** The first run of one local day after `afterMs`, DST resolved as described above; null if none. */
function firstRunOfDayAfter(s: CronSpec, y: number, m: number, d: number, afterMs: number): number | null {
  const wallStart = Date.UTC(y, m - 1, d);
  // the day's instants lie within 14 h (the largest offset) of its wall-clock span
  const tr = transitionBetween(s.zone, wallStart - 14 * HOUR, wallStart + DAY + 14 * HOUR);
  if (!tr) {
    // one offset all day: runs are in field order
    const off = offsetMinutes(s.zone, wallStart);
    for (const h of s.hours) {
      for (const mi of s.minutes) {
        const t = wallStart + (h * 60 + mi - off) * MINUTE;
        if (t > afterMs) return t;
      }
    }
    return null;
  }
  let best: number | null = null;
  const consider = (t: number) => {
    if (t > afterMs && (best === null || t < best)) best = t;
  };
  for (const h of s.hours) {
    for (const mi of s.minutes) {
      const wall = wallStart + (h * 60 + mi) * MINUTE;
      const early = wall - tr.before * MINUTE;
      const late = wall - tr.after * MINUTE;
      const earlyValid = early < tr.at;
      const lateValid = late >= tr.at;
      if (earlyValid && lateValid) {
        // clocks set back: this wall time happens twice
        consider(early);
        if (s.everyHour) consider(late);
      } else if (lateValid) consider(late);
      // valid before the change, or jumped over by it (then: old offset, moved forward by the gap)
      else consider(early);
    }
  }
  return best;
}

/** The first run strictly after `afterMs`. */
export function nextRun(s: CronSpec, afterMs: number): number {
  // start a day early: a run of yesterday's local date can fall after `afterMs` near DST edges
  const start = localTime(s.zone, afterMs - DAY);
  for (let k = 0; k < HORIZON_DAYS; k++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + k));
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (!dayMatches(s, m, d, date.getUTCDay())) continue;
    const t = firstRunOfDayAfter(s, date.getUTCFullYear(), m, d, afterMs);
    if (t !== null) return t;
  }
  throw new ScheduleError(`cron "${s.text}" never runs`);
}

/** The next `count` runs after `afterMs`. */
export function nextRuns(s: CronSpec, afterMs: number, count: number): number[] {
  const out: number[] = [];
  let t = afterMs;
  for (let i = 0; i < count; i++) {
    t = nextRun(s, t);
    out.push(t);
  }
  return out;
}
