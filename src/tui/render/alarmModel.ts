// How an alarm reads in the cockpit: order, level tones, age and the ack SLA timer.
import type { AlarmView, EventView, InspectionView, Level } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { ageSeconds, formatAge, formatDuration } from '../components/format.js';
import { isOpenAlarm } from '../store.js';
import type { Tone } from '../theme.js';

export const LEVELS: readonly Level[] = ['urgent', 'critical', 'warning', 'info'];
const LEVEL_RANK: Record<Level, number> = { urgent: 0, critical: 1, warning: 2, info: 3 };
const STATE_RANK: Record<AlarmView['state'], number> = { firing: 0, acknowledged: 1, resolved: 2 };

export const LEVEL_TONE: Record<Level, Tone | undefined> = { info: 'info', warning: 'warn', critical: 'bad', urgent: 'bad' };

/** Firing first, then acknowledged, then resolved; within each the worst level, then newest. */
export function orderAlarms(alarms: readonly AlarmView[]): AlarmView[] {
  return [...alarms].sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state]
    || LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || b.lastFiredAt.localeCompare(a.lastFiredAt) || b.id - a.id);
}

/** "4m left" while the ack SLA runs, "!2m over" once it ran out, "" when acknowledged or resolved. */
export function slaText(a: AlarmView, now: number): string {
  if (a.state !== 'firing' || a.sla.dueAt === null) return '';
  const left = (Date.parse(a.sla.dueAt) - now) / 1000;
  if (left > 0 && !a.sla.breached) return `${formatDuration(left)} left`;
  return `!${formatDuration(Math.max(0, -left))} over`;
}

export function slaTone(a: AlarmView, now: number): Tone | undefined {
  if (a.state !== 'firing' || a.sla.dueAt === null) return undefined;
  const left = (Date.parse(a.sla.dueAt) - now) / 1000;
  if (left <= 0 || a.sla.breached) return 'bad';
  return left < a.sla.ackWithinSeconds / 4 ? 'warn' : undefined;
}

/** Counts of open alarms per level. */
export function severityCounts(alarms: readonly AlarmView[]): Record<Level, number> {
  const out: Record<Level, number> = { urgent: 0, critical: 0, warning: 0, info: 0 };
  for (const a of alarms) if (isOpenAlarm(a)) out[a.level]++;
  return out;
}

export function alarmSearchText(a: AlarmView): string {
  return [String(a.id), a.level, a.state, a.rule, a.host ?? '', a.subject ?? '', a.message].join(' ');
}

export function alarmColumns(width: number, now: number): Column<AlarmView>[] {
  const cols: Column<AlarmView>[] = [
    { key: 'level', title: 'LEVEL', width: 8, cell: (a) => a.level, tone: (a) => LEVEL_TONE[a.level] },
    { key: 'age', title: 'AGE', width: 6, align: 'right', cell: (a) => formatAge(ageSeconds(a.firedAt, now) ?? 0) },
    { key: 'sla', title: 'ACK SLA', width: 10, cell: (a) => slaText(a, now), tone: (a) => slaTone(a, now) },
    { key: 'host', title: 'HOST', width: 8, flex: 1, cell: (a) => a.host ?? '—' },
    { key: 'rule', title: 'RULE', width: 12, flex: 1, cell: (a) => a.rule },
    { key: 'state', title: 'STATE', width: 7, cell: (a) => (a.state === 'acknowledged' ? 'acked' : a.state) + (a.flapping ? '~' : ''), tone: (a) => (a.state === 'firing' ? 'bad' : a.state === 'resolved' ? 'ok' : undefined) },
  ];
  if (width >= 90) cols.push({ key: 'message', title: 'MESSAGE', width: 10, flex: 3, cell: (a) => (a.count > 1 ? `${a.message} (×${a.count})` : a.message) });
  return cols;
}

export interface DayCount {
  date: string;
  total: number;
  bad: number;
}

/**
 * Events per UTC day for the last `days` days (oldest first): the hub's inspection trend
 * when there is one, otherwise counted from the events and alarms the cockpit holds.
 */
export function eventTrend(days: number, now: number, inspection: InspectionView | null, events: readonly EventView[], alarms: readonly AlarmView[]): DayCount[] {
  const dates: string[] = [];
  for (let i = days - 1; i >= 0; i--) dates.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10));
  const counts = new Map<string, DayCount>(dates.map((d) => [d, { date: d, total: 0, bad: 0 }]));
  if (inspection && inspection.eventTrend.length > 0) {
    for (const t of inspection.eventTrend) {
      const c = counts.get(t.date);
      if (!c) continue;
      c.total += t.info + t.warning + t.critical + t.urgent;
      c.bad += t.critical + t.urgent;
    }
  } else {
    const add = (time: string, level: Level): void => {
      const c = counts.get(time.slice(0, 10));
      if (!c) return;
      c.total++;
      if (level === 'critical' || level === 'urgent') c.bad++;
    };
    for (const e of events) add(e.time, e.level);
    // alarms fire from events the cockpit may no longer hold: count those older than them
    const oldest = events[0]?.time ?? '\uffff';
    for (const a of alarms) if (a.firedAt < oldest) add(a.firedAt, a.level);
  }
  return dates.map((d) => counts.get(d)!);
}
