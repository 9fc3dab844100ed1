/**
 * The `schedules` section and retention policies (per schedule and global).
 */
import { CronExpressionParser } from 'cron-parser';
import { DEFAULT_PRIORITY, DEFAULT_TIMEZONE } from './defaults.js';
import { bool, int, isEmptyNode, name, oneOf, readMapping, requireKeys, str, uniqueListOf, listOf, type ValueReader } from './yaml-readers.js';
import { BACKUP_TYPES, type RetentionConfig, type ScheduleConfig, type TimeWindow } from './types.js';

const CRON_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const CRON_NAMES = new Set([
  ...['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  ...['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
]);

/**
 * A five-field cron expression. Only the shape is checked here (field count and
 * characters); the scheduler's cron parser checks ranges.
 */
export const cron: ValueReader<string> = (r, raw, path) => {
  const text = str(r, raw, path);
  if (text === undefined) return undefined;
  const node = r.deref(raw);
  const fields = text.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return r.fail(node, `${path} ${JSON.stringify(text)} has ${fields.length} field${fields.length === 1 ? '' : 's'}`, `expected 5 fields: ${CRON_FIELDS.join(' ')}`);
  }
  for (const [i, field] of fields.entries()) {
    const tokens = field.split(/[,\-*/]/).filter((t) => t !== '');
    const valid = /^[0-9A-Za-z,\-*/]+$/.test(field) && tokens.every((t) => /^\d+$/.test(t) || CRON_NAMES.has(t.toLowerCase()));
    if (!valid) {
      return r.fail(node, `${path} ${CRON_FIELDS[i]} field ${JSON.stringify(field)} is not valid`, 'expected digits, month or weekday names, and , - * /');
    }
  }
  // ranges (minute 0-59, hour 0-23 …) are cron-parser's rule, the one the scheduler runs on:
  // asked here so that a bad cron is refused at config load, with its line and column
  try {
    CronExpressionParser.parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/^Constraint error, /, '');
    return r.fail(node, `${path} ${JSON.stringify(text)} is out of range: ${why}`);
  }
  return text;
};

export const timezone: ValueReader<string> = (r, raw, path) => {
  const zone = str(r, raw, path);
  if (zone === undefined) return undefined;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return r.fail(r.deref(raw), `${path} ${JSON.stringify(zone)} is not a known time zone`, 'expected an IANA time zone such as UTC or Europe/Berlin');
  }
};

export const timeWindow: ValueReader<TimeWindow> = (r, raw, path) => {
  const text = str(r, raw, path);
  if (text === undefined) return undefined;
  const node = r.deref(raw);
  const match = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text.trim());
  const [h1, m1, h2, m2] = (match?.slice(1) ?? []).map(Number);
  const expected = 'expected HH:MM-HH:MM such as 22:00-06:00';
  if (h1 === undefined || m1 === undefined || h2 === undefined || m2 === undefined || h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) {
    return r.fail(node, `${path} ${JSON.stringify(text)} is not a time window`, expected);
  }
  const startMinute = h1 * 60 + m1;
  const endMinute = h2 * 60 + m2;
  if (startMinute === endMinute) return r.fail(node, `${path} ${JSON.stringify(text)} starts and ends at the same time`, expected);
  return { text: text.trim(), startMinute, endMinute };
};

const KEEP_KEYS = ['keep_last', 'daily', 'weekly', 'monthly', 'yearly'] as const;

function retention(withConsolidate: boolean): ValueReader<RetentionConfig> {
  const count = int(0);
  return (r, raw, path) => {
    // `retention:` with nothing after it means no policy here, like an absent key.
    if (isEmptyNode(r.deref(raw))) return undefined;
    const m = readMapping(r, raw, path, {
      keep_last: count,
      daily: count,
      weekly: count,
      monthly: count,
      yearly: count,
      ...(withConsolidate ? { consolidate_after: int(1) } : {}),
    });
    if (m === undefined) return undefined;
    const v = m.values;
    const allValid = KEEP_KEYS.every((k) => !m.has(k) || v[k] !== undefined);
    if (allValid && KEEP_KEYS.every((k) => (v[k] ?? 0) === 0)) {
      return r.fail(m.node, `${path} keeps no recovery points`, `expected at least one of ${KEEP_KEYS.join(', ')} above 0`);
    }
    const consolidate = 'consolidate_after' in v ? v.consolidate_after : undefined;
    return {
      keepLast: v.keep_last ?? 0,
      daily: v.daily ?? 0,
      weekly: v.weekly ?? 0,
      monthly: v.monthly ?? 0,
      yearly: v.yearly ?? 0,
      consolidateAfter: typeof consolidate === 'number' ? consolidate : null,
    };
  };
}

export const readGlobalRetention: ValueReader<RetentionConfig> = retention(true);

const readSchedule: ValueReader<ScheduleConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    cron,
    timezone,
    priority: int(0, 100),
    targets: listOf(str, { nonEmpty: true }),
    type: oneOf(BACKUP_TYPES, 'backup type'),
    window: timeWindow,
    stop_at_window_end: bool,
    retention: retention(false),
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['cron', 'expected a cron expression'],
    ['targets', 'expected a non-empty list of host selectors'],
  ]);
  const v = m.values;
  if (v.name === undefined || v.cron === undefined || v.targets === undefined) return undefined;
  return {
    name: v.name,
    cron: v.cron,
    timezone: v.timezone ?? DEFAULT_TIMEZONE,
    priority: v.priority ?? DEFAULT_PRIORITY,
    targets: v.targets,
    type: v.type ?? 'incremental',
    window: v.window ?? null,
    stopAtWindowEnd: v.stop_at_window_end ?? false,
    retention: v.retention ?? null,
  };
};

export const readSchedules: ValueReader<ScheduleConfig[]> = uniqueListOf(readSchedule, 'schedule');

