// The files of `drc logs export`: the hub's log, each connected agent's log tail fetched
// over its connection, and a catalog summary. The CLI packs them into a .tar.gz.
import fs from 'node:fs';
import path from 'node:path';
import type { AlarmService } from '../alarms/service.js';
import type { Catalog } from '../catalog/catalog.js';
import type { JobStatsRepo } from '../catalog/job-stats-repo.js';
import type { JournalRepo } from '../catalog/journal-repo.js';
import type { PointStatsRepo } from '../catalog/point-stats-repo.js';
import { MAX_LOG_TAIL } from '../protocol/agent.js';
import type { HubView, JobView, TierView } from '../protocol/operator.js';
import type { LiveState } from './live.js';
import type { AgentLinks, Clock, HostRepo, PointRepo } from './ports.js';
import { hostView } from './wire.js';

/** What the log bundle reads. */
export interface LogBundlePorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<Catalog, 'schemaVersion' | 'recentEvents'>;
  jobStats: Pick<JobStatsRepo, 'countsByKindAndState'>;
  pointStats: Pick<PointStatsRepo, 'summary'>;
  journalRepo: Pick<JournalRepo, 'recentAudit'>;
  alarms: Pick<AlarmService, 'list'>;
  jobs: { views(): JobView[] };
  hubView(): HubView;
  live: LiveState;
  links: AgentLinks;
  tiers: TierView[];
  dataDir: string;
}

const HUB_LOG_MAX = 16 * 1024 * 1024;

export interface BundleFile {
  name: string;
  /** base64 */
  data: string;
}

function tailOf(file: string, max: number): Buffer | null {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const len = Math.min(size, max);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

export function catalogSummary(p: LogBundlePorts): object {
  const c = p.catalog;
  return {
    generatedAt: p.clock.iso(),
    schemaVersion: c.schemaVersion(),
    hub: p.hubView(),
    hosts: c.hosts().map((h) => hostView(c, p.live, p.tiers, h)),
    jobsByState: p.jobStats.countsByKindAndState(),
    recentJobs: p.jobs.views().slice(-100),
    points: p.pointStats.summary(),
    alarms: p.alarms.list(false, 200),
    events: c.recentEvents(500),
    audit: p.journalRepo.recentAudit(500),
  };
}

export async function logBundle(p: LogBundlePorts): Promise<{ files: BundleFile[]; errors: string[] }> {
  const files: BundleFile[] = [];
  const errors: string[] = [];
  const hubLog = tailOf(path.join(p.dataDir, 'hub.log'), HUB_LOG_MAX);
  if (hubLog) files.push({ name: 'hub.log', data: hubLog.toString('base64') });
  else errors.push(`hub log ${path.join(p.dataDir, 'hub.log')} not found`);
  const sessions = [...p.links.values()].filter((s) => s.ready);
  const tails = await Promise.allSettled(sessions.map((s) => s.fetchLogs(MAX_LOG_TAIL)));
  tails.forEach((t, i) => {
    const host = sessions[i]!.host + (sessions[i]!.site === 'dr' ? '-dr' : '');
    if (t.status === 'fulfilled') files.push({ name: `agents/${host}.log`, data: t.value.data.toString('base64') });
    else errors.push(`agent ${host}: ${(t.reason as Error).message}`);
  });
  files.push({ name: 'catalog-summary.json', data: Buffer.from(JSON.stringify(catalogSummary(p), null, 2)).toString('base64') });
  if (errors.length) files.push({ name: 'errors.txt', data: Buffer.from(errors.join('\n') + '\n').toString('base64') });
  return { files, errors };
}
