// Wall-clock time in IANA zones without a date library: offsets come from Intl (one cached
// formatter per zone), conversions from local time to instants resolve DST gaps and overlaps
// explicitly, so callers decide what a skipped or repeated local time means.

export interface LocalTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday */
  weekday: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when Intl knows the zone. */
export function isKnownZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Offsets cached per 15-minute slice of UTC: every zone's transitions since 1970 fall on a
 * quarter hour of UTC (Lord Howe 15:30Z, Chatham 14:00Z, the rest on the hour), so one
 * lookup answers for the whole slice. Intl costs ~10 µs a call; this makes it ~0.1 µs.
 */
const SLICE_MS = 15 * 60_000;
const OFFSET_CACHE_LIMIT = 200_000;
const offsetCache = new Map<string, number>();

/** The zone's offset from UTC at an instant, in minutes (New York in winter: -300). */
export function offsetMinutes(zone: string, ms: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const key = `${zone}|${Math.floor(ms / SLICE_MS)}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
    off = intlOffsetMinutes(zone, Math.floor(ms / SLICE_MS) * SLICE_MS);
    offsetCache.set(key, off);
  }
  return off;
}

function intlOffsetMinutes(zone: string, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatterOf(zone).formatToParts(whole)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
    }
  }
  return Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - whole) / MINUTE);
}

/** Local wall-clock time of an instant in a zone. */
export function localTime(zone: string, ms: number): LocalTime {
  const shifted = new Date(ms + offsetMinutes(zone, ms) * MINUTE);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    weekday: shifted.getUTCDay(),
  };
}

/**
 * The instants at which a local wall-clock time occurs: one normally, two when the clocks
 * are set back (earliest first), none when they jump over it.
 */
export function instantsOf(zone: string, year: number, month: number, day: number, hour: number, minute: number): number[] {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetMinutes(zone, wall - DAY);
  const after = offsetMinutes(zone, wall + DAY);
  const out: number[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const t = wall - off * MINUTE;
    if (offsetMinutes(zone, t) === off && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The instant of a local time, DST resolved the way java.time and cron-parser do: a time in
 * a gap moves forward by the gap's length (02:30 on the spring-forward day is 03:30 new
 * time); a repeated time is its first occurrence.
 */
export function instantOf(zone: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const found = instantsOf(zone, year, month, day, hour, minute);
  if (found.length > 0) return found[0]!;
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  return wall - offsetMinutes(zone, wall - DAY) * MINUTE;
}

export interface Transition {
  /** first instant with the new offset */
  at: number;
  /** offsets in minutes before and after */
  before: number;
  after: number;
}

/**
 * The offset change between two instants at most ~2 days apart, or null. Zones change
 * offset at most once in such a span; the instant is found by bisecting quarter hours.
 */
export function transitionBetween(zone: string, from: number, to: number): Transition | null {
  let lo = Math.floor(from / SLICE_MS) * SLICE_MS;
  let hi = Math.ceil(to / SLICE_MS) * SLICE_MS;
  const before = offsetMinutes(zone, lo);
  const after = offsetMinutes(zone, hi);
  if (before === after) return null;
  while (hi - lo > SLICE_MS) {
    const mid = lo + Math.floor((hi - lo) / SLICE_MS / 2) * SLICE_MS;
    if (offsetMinutes(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return { at: hi, before, after };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** ISO 8601 with the zone's offset, e.g. 2025-03-10T02:30:00-04:00. */
export function localIso(zone: string, ms: number): string {
  const off = offsetMinutes(zone, ms);
  const local = new Date(ms + off * MINUTE).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${local}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export { MINUTE, HOUR, DAY };
