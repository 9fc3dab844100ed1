// The overview's figures computed from what the hub sends (snapshot and inspection), for
// `drc status --json` and the daily inspection report: success rate, running tasks,
// throughput, storage, alarm severity distribution and the 7- and 30-day event trend.
import type { InspectionView, Level, Snapshot } from '../protocol/operator.js';

export interface TrendTotals {
  days: number;
  info: number;
  warning: number;
  critical: number;
  urgent: number;
}

export interface OverviewFigures {
  hosts: { total: number; connected: number; disconnected: number; never: number; failedOver: number; revoked: number };
  tasks: { running: number; queued: number; succeeded24h: number; failed24h: number; succeeded7d: number; failed7d: number; successRate24h: number | null; successRate7d: number | null };
  /** bytes/s received: the last sample and the mean of the last minute */
  throughput: { nowBytesPerSec: number; lastMinuteBytesPerSec: number };
  storage: { bytesStored: number; bytesLogical: number; dedupRatio: number; chunks: number; packs: number; capacityBytes: number | null; freeBytes: number | null; growthBytesPerDay: number | null; daysUntilFull: number | null };
  points: number;
  alarmsByLevel: Record<Level, number>;
  trend: { last7d: TrendTotals; last30d: TrendTotals };
}

function rate(ok: number, failed: number): number | null {
  return ok + failed === 0 ? null : ok / (ok + failed);
}

function totals(trend: InspectionView['eventTrend'], days: number): TrendTotals {
  const t: TrendTotals = { days, info: 0, warning: 0, critical: 0, urgent: 0 };
  for (const d of trend.slice(-days)) {
    t.info += d.info;
    t.warning += d.warning;
    t.critical += d.critical;
    t.urgent += d.urgent;
  }
  return t;
}

export function overviewFigures(s: Snapshot, inspection: InspectionView | null): OverviewFigures {
  const st = s.hub.stats;
  const lastMinute = s.throughput.slice(-60);
  const links = (l: string) => s.hosts.filter((h) => h.link === l).length;
  const alarmsByLevel: Record<Level, number> = inspection?.alarmsByLevel ?? { info: 0, warning: 0, critical: 0, urgent: 0 };
  return {
    hosts: {
      total: s.hosts.length,
      connected: links('connected'),
      disconnected: links('disconnected'),
      never: links('never'),
      failedOver: s.hosts.filter((h) => h.failedOver).length,
      revoked: s.hosts.filter((h) => h.revoked).length,
    },
    tasks: {
      running: s.jobs.filter((j) => j.state === 'running').length,
      queued: s.jobs.filter((j) => j.state === 'queued').length,
      succeeded24h: st.succeeded24h,
      failed24h: st.failed24h,
      succeeded7d: st.succeeded7d,
      failed7d: st.failed7d,
      successRate24h: rate(st.succeeded24h, st.failed24h),
      successRate7d: rate(st.succeeded7d, st.failed7d),
    },
    throughput: {
      nowBytesPerSec: s.throughput.at(-1)?.bytesPerSec ?? 0,
      lastMinuteBytesPerSec: lastMinute.length ? lastMinute.reduce((a, x) => a + x.bytesPerSec, 0) / lastMinute.length : 0,
    },
    storage: {
      ...s.hub.store,
      capacityBytes: inspection?.storage.capacityBytes ?? null,
      freeBytes: inspection?.storage.freeBytes ?? null,
      growthBytesPerDay: inspection?.storage.growthBytesPerDay ?? null,
      daysUntilFull: inspection?.storage.daysUntilFull ?? null,
    },
    points: s.points.length,
    alarmsByLevel,
    trend: { last7d: totals(inspection?.eventTrend ?? [], 7), last30d: totals(inspection?.eventTrend ?? [], 30) },
  };
}
