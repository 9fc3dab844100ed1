// The daily inspection in one answer: alarms by level, the event trend, failed and delayed
// tasks, bad links, expiring credentials, storage capacity and days until full.
import fs from 'node:fs';
import { LEVEL_ORDER } from '../alarms/rules.js';
import type { InspectionView, Level } from '../protocol/operator.js';
import { rpoStatusAt } from '../recovery/rpo.js';
import type { Hub } from './hub.js';

const DAY_MS = 86_400_000;
const TREND_DAYS = 30;
const EXPIRY_HORIZON_MS = 30 * DAY_MS;

export function inspectionView(hub: Hub): InspectionView {
  const c = hub.catalog;
  const now = hub.now();
  const alarmsByLevel = Object.fromEntries(LEVEL_ORDER.map((l) => [l, 0])) as Record<Level, number>;
  for (const a of hub.inspection.alarms.book.open()) alarmsByLevel[a.level]++;

  const firstDay = new Date(Math.floor(now / DAY_MS) * DAY_MS - (TREND_DAYS - 1) * DAY_MS);
  const trend = new Map<string, InspectionView['eventTrend'][number]>();
  for (let i = 0; i < TREND_DAYS; i++) {
    const date = new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    trend.set(date, { date, info: 0, warning: 0, critical: 0, urgent: 0 });
  }
  const rows = c.db
    .prepare('SELECT substr(time, 1, 10) AS d, level, COUNT(*) AS n FROM events WHERE time >= ? GROUP BY d, level')
    .all(firstDay.toISOString()) as { d: string; level: Level; n: number }[];
  for (const r of rows) {
    const day = trend.get(r.d);
    if (day && r.level in alarmsByLevel) day[r.level] += r.n;
  }

  const failedIds = c.db.prepare("SELECT id FROM jobs WHERE state = 'failed' AND finished_at >= ? ORDER BY id DESC LIMIT 50").all(new Date(now - DAY_MS).toISOString()) as { id: number }[];
  const failedTasks = failedIds.map((r) => hub.jobs.view(c.job(r.id)!));

  const delayedHosts: InspectionView['delayedHosts'] = [];
  const badLinks: InspectionView['badLinks'] = [];
  for (const h of c.hosts()) {
    const tier = hub.o.tiers.find((t) => t.name === h.tier);
    if (tier) {
      const newest = c.volumesOf(h.id).map((v) => c.latestPoint(v.id)?.time).filter((t): t is string => !!t).sort().pop() ?? null;
      if (rpoStatusAt(newest, tier.rpoSeconds, now).level === 'breached') delayedHosts.push({ host: h.name, lastPointTime: newest, rpoSeconds: tier.rpoSeconds });
    }
    const live = hub.live.host(h.name);
    if (live.link === 'never') continue;
    const link = hub.inspection.telemetry.linkHealth(h.name, hub.inspection.connected(h.name));
    if (link.state === 'down' || link.state === 'degraded') badLinks.push({ host: h.name, link: live.link, latencyMs: link.latencyMs, state: link.state });
  }

  const expiringCredentials: InspectionView['expiringCredentials'] = [];
  const tokens = c.db.prepare('SELECT name, token_expires_at AS t FROM hosts WHERE token_expires_at IS NOT NULL AND revoked = 0').all() as { name: string; t: string }[];
  for (const t of tokens) {
    const left = Date.parse(t.t) - now;
    if (left < EXPIRY_HORIZON_MS) expiringCredentials.push({ kind: 'token', name: t.name, expiresAt: t.t, secondsLeft: Math.round(left / 1000) });
  }
  for (const cert of hub.inspection.certificates()) {
    const left = cert.notAfter - now;
    if (left < EXPIRY_HORIZON_MS) expiringCredentials.push({ kind: 'certificate', name: cert.name, expiresAt: new Date(cert.notAfter).toISOString(), secondsLeft: Math.round(left / 1000) });
  }

  const s = c.storeStats();
  let capacityBytes = 0;
  let freeBytes = 0;
  try {
    const st = fs.statfsSync(hub.o.dataDir);
    capacityBytes = st.blocks * st.bsize;
    freeBytes = st.bavail * st.bsize;
  } catch {
    // an unreadable data directory shows as zero capacity
  }
  const week = c.db.prepare("SELECT COALESCE(SUM(bytes_new), 0) AS b FROM jobs WHERE state = 'succeeded' AND finished_at >= ?").get(new Date(now - 7 * DAY_MS).toISOString()) as { b: number };
  const growthBytesPerDay = week.b / 7;
  return {
    time: new Date(now).toISOString(),
    alarmsByLevel,
    eventTrend: [...trend.values()],
    failedTasks,
    delayedHosts,
    badLinks,
    expiringCredentials,
    storage: { bytesStored: s.bytesStored, capacityBytes, freeBytes, growthBytesPerDay, daysUntilFull: growthBytesPerDay > 0 ? Math.floor(freeBytes / growthBytesPerDay) : null },
  };
}
