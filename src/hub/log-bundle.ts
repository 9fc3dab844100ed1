// The files of `drc logs export`: the hub's log, each connected agent's log tail fetched
// over its connection, and a catalog summary. The CLI packs them into a .tar.gz.
import fs from 'node:fs';
import path from 'node:path';
import { MAX_LOG_TAIL } from '../protocol/agent.js';
import type { Hub } from './hub.js';
import { hostView } from './wire.js';

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

export function catalogSummary(hub: Hub): object {
  const c = hub.catalog;
  const q = <T>(sql: string, ...args: unknown[]): T[] => c.db.prepare(sql).all(...args) as T[];
  return {
    generatedAt: hub.iso(),
    schemaVersion: c.schemaVersion(),
    hub: hub.hubView(),
    hosts: c.hosts().map((h) => hostView(c, hub.live, hub.o.tiers, h)),
    jobsByState: q('SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state'),
    recentJobs: hub.jobs.views().slice(-100),
    points: q('SELECT COUNT(*) AS n, MIN(time) AS oldest, MAX(time) AS newest FROM points')[0],
    alarms: hub.monitoring.alarms.list(false, 200),
    events: c.recentEvents(500),
    audit: q('SELECT time, actor, action, target, outcome, details FROM audit ORDER BY id DESC LIMIT 500').reverse(),
  };
}

export async function logBundle(hub: Hub): Promise<{ files: BundleFile[]; errors: string[] }> {
  const files: BundleFile[] = [];
  const errors: string[] = [];
  const hubLog = tailOf(path.join(hub.o.dataDir, 'hub.log'), HUB_LOG_MAX);
  if (hubLog) files.push({ name: 'hub.log', data: hubLog.toString('base64') });
  else errors.push(`hub log ${path.join(hub.o.dataDir, 'hub.log')} not found`);
  const sessions = [...hub.sessions.values()].filter((s) => s.ready);
  const tails = await Promise.allSettled(sessions.map((s) => s.fetchLogs(MAX_LOG_TAIL)));
  tails.forEach((t, i) => {
    const host = sessions[i]!.host;
    if (t.status === 'fulfilled') files.push({ name: `agents/${host}.log`, data: t.value.data.toString('base64') });
    else errors.push(`agent ${host}: ${(t.reason as Error).message}`);
  });
  files.push({ name: 'catalog-summary.json', data: Buffer.from(JSON.stringify(catalogSummary(hub), null, 2)).toString('base64') });
  if (errors.length) files.push({ name: 'errors.txt', data: Buffer.from(errors.join('\n') + '\n').toString('base64') });
  return { files, errors };
}
