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
import { DAY, instantOf, instantsOf, localTime, offsetMinutes } from './zone.js';
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

/** Parse and check a cron expression for a zone; throws ScheduleError naming what is wrong. */
export function parseCron(text: string, zone: string): CronSpec {
  let parsed;
  try {
    parsed = CronExpressionParser.parse(text.trim(), { tz: zone });
  } catch (e) {
    throw new ScheduleError(`cron "${text}": ${(e as Error).message}`);
  }
  const f = parsed.fields;
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

/** The run instants of one local day, ascending, DST resolved as described above. */
function runsOfDay(s: CronSpec, y: number, m: number, d: number): number[] {
  const wallStart = Date.UTC(y, m - 1, d);
  const off0 = offsetMinutes(s.zone, wallStart - DAY);
  const off1 = offsetMinutes(s.zone, wallStart + 2 * DAY);
  const out: number[] = [];
  if (off0 === off1) {
    // no transition near this day: plain arithmetic
    for (const h of s.hours) for (const mi of s.minutes) out.push(wallStart + (h * 60 + mi - off0) * 60_000);
    return out;
  }
  for (const h of s.hours) {
    for (const mi of s.minutes) {
      const found = instantsOf(s.zone, y, m, d, h, mi);
      if (found.length === 0) out.push(instantOf(s.zone, y, m, d, h, mi));
      else if (s.everyHour) out.push(...found);
      else out.push(found[0]!);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The first run strictly after `afterMs`. */
export function nextRun(s: CronSpec, afterMs: number): number {
  // start a day early: a run of yesterday's local date can fall after `afterMs` near DST edges
  const start = localTime(s.zone, afterMs - DAY);
  for (let k = 0; k < HORIZON_DAYS; k++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + k));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (!dayMatches(s, m, d, date.getUTCDay())) continue;
    for (const t of runsOfDay(s, y, m, d)) if (t > afterMs) return t;
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
