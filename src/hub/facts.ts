// Gathers what the alarm evaluator looks at from the catalog, the live state and the
// telemetry: one HostFacts per host, and the certificates the hub serves.
import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { CertificateFacts, Facts, HostFacts, TaskFact } from '../alarms/types.js';
import type { JobStatsRepo } from '../catalog/job-stats-repo.js';
import type { PointStatsRepo } from '../catalog/point-stats-repo.js';
import type { TokenExpiryRepo } from '../catalog/token-expiry-repo.js';
import type { TierView } from '../protocol/operator.js';
import type { HostRepo } from './ports.js';
import type { HostTelemetry } from './telemetry.js';

/** How far back failure rates and consecutive failures look. */
const TASK_HISTORY_MS = 7 * 86_400_000;

export interface FactSources {
  catalog: Pick<HostRepo, 'hosts'>;
  jobStats: Pick<JobStatsRepo, 'backupOutcomes' | 'lastBackupSuccess' | 'recentBackupSeconds'>;
  pointStats: Pick<PointStatsRepo, 'newestPerHost'>;
  tokens: Pick<TokenExpiryRepo, 'expiring'>;
  tiers: TierView[];
  telemetry: HostTelemetry;
  connected(host: string): boolean;
  backlogBytes(host: string): number;
  /** when each host's next backup starts (scheduled, or now when one is queued, its start when one runs) */
  nextRuns?(): ReadonlyMap<string, number>;
  /** a continuous host's own RPO target and when its next cycle starts; null when it is not continuous */
  continuous?(host: string): { rpoSeconds: number | null; nextCycleAt: number | null } | null;
}

/** The hub's TLS certificate, or none; an unreadable one is reported by the gateway, not here. */
export function certificateFacts(certFile: string | undefined): CertificateFacts[] {
  if (!certFile) return [];
  try {
    const c = new X509Certificate(fs.readFileSync(certFile));
    return [{ name: `hub TLS certificate ${c.subject.split('\n').find((l) => l.startsWith('CN=')) ?? certFile}`, notAfter: Date.parse(c.validTo) }];
  } catch {
    return [];
  }
}

export function gatherFacts(src: FactSources, now: number, certificates: CertificateFacts[]): Facts {
  const c = src.catalog;
  const tasks = new Map<number, TaskFact[]>();
  for (const r of src.jobStats.backupOutcomes(new Date(now - TASK_HISTORY_MS).toISOString())) {
    const list = tasks.get(r.hostId) ?? [];
    list.push({ finishedAt: r.finishedAt, ok: r.ok });
    tasks.set(r.hostId, list);
  }
  const lastOk = src.jobStats.lastBackupSuccess();
  const lastPoint = src.pointStats.newestPerHost();
  const expiry = new Map(src.tokens.expiring().map((t) => [t.hostId, Date.parse(t.expiresAt)]));
  const nextRuns = src.nextRuns?.() ?? new Map<string, number>();
  const durations = src.jobStats.recentBackupSeconds(new Date(now - TASK_HISTORY_MS).toISOString());
  const hosts: HostFacts[] = c.hosts().map((h) => {
    const tier = src.tiers.find((t) => t.name === h.tier) ?? null;
    const connected = src.connected(h.name);
    const link = src.telemetry.linkHealth(h.name, connected);
    const cont = src.continuous?.(h.name) ?? null;
    return {
      name: h.name,
      tags: h.tags,
      tier: h.tier,
      rpoSeconds: cont?.rpoSeconds ?? tier?.rpoSeconds ?? null,
      connected,
      createdAt: Date.parse(h.createdAt),
      lastPointAt: lastPoint.get(h.id) ?? null,
      lastSuccessAt: lastOk.get(h.id) ?? null,
      backlogBytes: src.backlogBytes(h.name),
      bandwidthBps: link.bandwidthBps,
      changeRateBps: src.telemetry.changeRateBps(h.name),
      linkLatencyMs: link.latencyMs,
      tokenExpiresAt: expiry.get(h.id) ?? null,
      resources: connected ? src.telemetry.resources(h.name) : null,
      tasks: tasks.get(h.id) ?? [],
      // a disconnected host's next run will not happen: no cover from it
      nextRunAt: connected ? (cont?.nextCycleAt ?? nextRuns.get(h.name) ?? null) : null,
      expectedRunSeconds: durations.get(h.id) ?? null,
    };
  });
  return { hosts, certificates };
}
