// The daily inspection in one answer: alarms by level, the event trend, failed and delayed
// tasks, bad links, expiring credentials, storage capacity and days until full.
import fs from 'node:fs';
import { LEVEL_ORDER } from '../alarms/rules.js';
import type { JobStatsRepo } from '../catalog/job-stats-repo.js';
import type { JournalRepo } from '../catalog/journal-repo.js';
import type { TokenExpiryRepo } from '../catalog/token-expiry-repo.js';
import type { InspectionView, JobView, Level, TierView } from '../protocol/operator.js';
import type { LiveState } from './live.js';
import type { HubMonitoring } from './monitoring.js';
import type { Clock, HostRepo, JobRepo, PointRepo } from './ports.js';

/** What the daily inspection reads. */
export interface DailyInspectionPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<JobRepo, 'job'> & { storeStats(): { bytesStored: number } };
  jobStats: Pick<JobStatsRepo, 'failedSince' | 'newBytesSince'>;
  journalRepo: Pick<JournalRepo, 'eventCountsByDay'>;
  tokens: Pick<TokenExpiryRepo, 'expiring'>;
  monitoring: Pick<HubMonitoring, 'alarms' | 'telemetry' | 'connected' | 'certificates'>;
  jobs: { view(j: NonNullable<ReturnType<JobRepo['job']>>): JobView };
  live: LiveState;
  tiers: TierView[];
  dataDir: string;
}
import { rpoStatusAt } from '../recovery/rpo.js';

const DAY_MS = 86_400_000;
const TREND_DAYS = 30;
const EXPIRY_HORIZON_MS = 30 * DAY_MS;

export function dailyInspection(p: DailyInspectionPorts): InspectionView {
  const c = p.catalog;
  const now = p.clock.now();
  const alarmsByLevel = Object.fromEntries(LEVEL_ORDER.map((l) => [l, 0])) as Record<Level, number>;
  for (const a of p.monitoring.alarms.book.open()) alarmsByLevel[a.level]++;

  const firstDay = new Date(Math.floor(now / DAY_MS) * DAY_MS - (TREND_DAYS - 1) * DAY_MS);
  const trend = new Map<string, InspectionView['eventTrend'][number]>();
  for (let i = 0; i < TREND_DAYS; i++) {
    const date = new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    trend.set(date, { date, info: 0, warning: 0, critical: 0, urgent: 0 });
  }
  const rows = p.journalRepo.eventCountsByDay(firstDay.toISOString());
  for (const r of rows) {
    const day = trend.get(r.day);
    if (day && r.level in alarmsByLevel) day[r.level] += r.n;
  }

  const failedTasks = p.jobStats.failedSince(new Date(now - DAY_MS).toISOString(), 50).map((id) => p.jobs.view(c.job(id)!));

  const delayedHosts: InspectionView['delayedHosts'] = [];
  const badLinks: InspectionView['badLinks'] = [];
  for (const h of c.hosts()) {
    const tier = p.tiers.find((t) => t.name === h.tier);
    if (tier) {
      const newest = c.volumesOf(h.id).map((v) => c.latestPoint(v.id)?.time).filter((t): t is string => !!t).sort().pop() ?? null;
      if (rpoStatusAt(newest, tier.rpoSeconds, now).level === 'breached') delayedHosts.push({ host: h.name, lastPointTime: newest, rpoSeconds: tier.rpoSeconds });
    }
    const live = p.live.host(h.name);
    if (live.link === 'never') continue;
    const link = p.monitoring.telemetry.linkHealth(h.name, p.monitoring.connected(h.name));
    if (link.state === 'down' || link.state === 'degraded') badLinks.push({ host: h.name, link: live.link, latencyMs: link.latencyMs, state: link.state });
  }

  const expiringCredentials: InspectionView['expiringCredentials'] = [];
  const tokens = p.tokens.expiring();
  for (const t of tokens) {
    const left = Date.parse(t.expiresAt) - now;
    if (left < EXPIRY_HORIZON_MS) expiringCredentials.push({ kind: 'token', name: t.host, expiresAt: t.expiresAt, secondsLeft: Math.round(left / 1000) });
  }
  for (const cert of p.monitoring.certificates()) {
    const left = cert.notAfter - now;
    if (left < EXPIRY_HORIZON_MS) expiringCredentials.push({ kind: 'certificate', name: cert.name, expiresAt: new Date(cert.notAfter).toISOString(), secondsLeft: Math.round(left / 1000) });
  }

  const s = c.storeStats();
  let capacityBytes = 0;
  let freeBytes = 0;
  try {
    const st = fs.statfsSync(p.dataDir);
    capacityBytes = st.blocks * st.bsize;
    freeBytes = st.bavail * st.bsize;
  } catch {
    // an unreadable data directory shows as zero capacity
  }
  const growthBytesPerDay = p.jobStats.newBytesSince(new Date(now - 7 * DAY_MS).toISOString()) / 7;
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
