// Gathers what the alarm evaluator looks at from the catalog, the live state and the
// telemetry: one HostFacts per host, and the certificates the hub serves.
import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { CertificateFacts, Facts, HostFacts, TaskFact } from '../alarms/types.js';
import { recentBackupSeconds } from '../catalog/backup-durations.js';
import type { Catalog } from '../catalog/catalog.js';
import type { TierView } from '../protocol/operator.js';
import type { HostTelemetry } from './telemetry.js';

/** How far back failure rates and consecutive failures look. */
const TASK_HISTORY_MS = 7 * 86_400_000;

export interface FactSources {
  catalog: Catalog;
  tiers: TierView[];
  telemetry: HostTelemetry;
  connected(host: string): boolean;
  backlogBytes(host: string): number;
  /** when each host's next backup starts (scheduled, or now when one is queued or running) */
  nextRuns?(): ReadonlyMap<string, number>;
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
  const rows = c.db
    .prepare(
      `SELECT host_id, state, finished_at FROM jobs WHERE kind = 'backup' AND state IN ('succeeded', 'failed') AND finished_at >= ? ORDER BY finished_at`,
    )
    .all(new Date(now - TASK_HISTORY_MS).toISOString()) as { host_id: number; state: string; finished_at: string }[];
  for (const r of rows) {
    const list = tasks.get(r.host_id) ?? [];
    list.push({ finishedAt: Date.parse(r.finished_at), ok: r.state === 'succeeded' });
    tasks.set(r.host_id, list);
  }
  const lastOk = new Map(
    (c.db.prepare(`SELECT host_id, MAX(finished_at) AS t FROM jobs WHERE kind = 'backup' AND state = 'succeeded' GROUP BY host_id`).all() as { host_id: number; t: string }[]).map(
      (r) => [r.host_id, Date.parse(r.t)],
    ),
  );
  const lastPoint = new Map(
    (c.db.prepare('SELECT v.host_id AS host_id, MAX(p.time) AS t FROM points p JOIN volumes v ON v.id = p.volume_id GROUP BY v.host_id').all() as { host_id: number; t: string }[]).map(
      (r) => [r.host_id, Date.parse(r.t)],
    ),
  );
  const expiry = new Map(
    (c.db.prepare('SELECT id, token_expires_at FROM hosts WHERE token_expires_at IS NOT NULL AND revoked = 0').all() as { id: number; token_expires_at: string }[]).map(
      (r) => [r.id, Date.parse(r.token_expires_at)],
    ),
  );
  const nextRuns = src.nextRuns?.() ?? new Map<string, number>();
  const durations = recentBackupSeconds(c.db, new Date(now - TASK_HISTORY_MS).toISOString());
  const hosts: HostFacts[] = c.hosts().map((h) => {
    const tier = src.tiers.find((t) => t.name === h.tier) ?? null;
    const connected = src.connected(h.name);
    const link = src.telemetry.linkHealth(h.name, connected);
    return {
      name: h.name,
      tags: h.tags,
      tier: h.tier,
      rpoSeconds: tier?.rpoSeconds ?? null,
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
      nextRunAt: connected ? (nextRuns.get(h.name) ?? null) : null,
      expectedRunSeconds: durations.get(h.id) ?? null,
    };
  });
  return { hosts, certificates };
}
