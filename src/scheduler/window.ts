// Daily time windows ("22:00-06:00") in a schedule's zone: is it open at an instant, and
// when does it next open or close. A window whose end is before its start wraps past midnight.
import type { TimeWindow } from '../config/types.js';
import { instantOf, localTime } from './zone.js';

export interface WindowState {
  open: boolean;
  /** next instant the window opens (when closed) or re-opens (when open) */
  opensAt: number;
  /** next instant the window closes */
  closesAt: number;
}

export function minuteOfDay(zone: string, ms: number): number {
  const t = localTime(zone, ms);
  return t.hour * 60 + t.minute;
}

export function isOpenAt(w: Pick<TimeWindow, 'startMinute' | 'endMinute'>, minute: number): boolean {
  return w.startMinute < w.endMinute ? minute >= w.startMinute && minute < w.endMinute : minute >= w.startMinute || minute < w.endMinute;
}

/** The first instant after `ms` whose local time is `minute` (today or a later day). */
function nextLocalMinute(zone: string, ms: number, minute: number): number {
  const t = localTime(zone, ms);
  for (let k = 0; k < 3; k++) {
    const d = new Date(Date.UTC(t.year, t.month - 1, t.day + k));
    const at = instantOf(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), Math.floor(minute / 60), minute % 60);
    if (at > ms) return at;
  }
  // unreachable: a local minute occurs within any three consecutive days
  throw new Error(`no local ${minute} within three days`);
}

export function windowState(w: Pick<TimeWindow, 'startMinute' | 'endMinute'>, zone: string, ms: number): WindowState {
  return {
    open: isOpenAt(w, minuteOfDay(zone, ms)),
    opensAt: nextLocalMinute(zone, ms, w.startMinute),
    closesAt: nextLocalMinute(zone, ms, w.endMinute),
  };
}
