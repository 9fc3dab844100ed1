// Operator API requests of schedules, retention, gc and verify; each validated with its
// schema (protocol/operator.ts), then carried out, and audited.
import { maintenanceRequests } from '../protocol/operator.js';
import { StoreError } from '../store/errors.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { JobRunner } from './jobs.js';
import type { HubMaintenance } from './maintenance.js';
import type { AutoMaintenance } from './maintenance-auto.js';
import type { Clock, HostRepo, JobRepo, Journal, PointRepo } from './ports.js';
import type { HubScheduler } from './schedules.js';
import { methodsOf, parse } from './params.js';

export const MAINTENANCE_METHODS = methodsOf(maintenanceRequests);

/** What the requests of schedules, retention, gc and verify use. */
export interface MaintenanceRequestPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<JobRepo, 'job'>;
  jobs: Pick<JobRunner, 'enqueue' | 'view'>;
  journal: Pick<Journal, 'audit'>;
  scheduler: Pick<HubScheduler, 'views' | 'runNow'>;
  maintenance: Pick<HubMaintenance, 'prune' | 'gc' | 'verifyResults' | 'status'>;
  auto: Pick<AutoMaintenance, 'preview' | 'run' | 'view'>;
}

async function storeErrorsAsApi<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StoreError) throw new ApiError('store', e.message);
    throw e;
  }
}

export async function handleMaintenanceRequest(ports: MaintenanceRequestPorts, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  const c = ports.catalog;
  switch (method) {
    case 'schedules.list':
      parse('schedules.list', params ?? {});
      return ports.scheduler.views();
    case 'schedules.run':
      return ports.scheduler.runNow(parse('schedules.run', params).name, client.actor);
    case 'retention.prune': {
      const p = parse('retention.prune', params ?? {});
      const now = p.now === undefined ? ports.clock.now() : Date.parse(p.now);
      if (Number.isNaN(now)) throw new ApiError('bad-request', `now "${p.now}" is not an ISO 8601 time`);
      return storeErrorsAsApi(() => ports.maintenance.prune({ dryRun: p.dryRun ?? false, now }, client.actor));
    }
    case 'store.gc': {
      const p = parse('store.gc', params ?? {});
      return storeErrorsAsApi(() => ports.maintenance.gc({ bytesPerSecond: p.bytesPerSecond }, client.actor));
    }
    case 'store.verify': {
      const p = parse('store.verify', params ?? {});
      const hosts = p.host ? [c.hostByName(p.host)] : c.hosts();
      if (p.host && !hosts[0]) throw new ApiError('not-found', `no host named ${p.host}`);
      const withPoints = hosts.filter((h) => h && c.volumesOf(h.id).some((v) => c.latestPoint(v.id)));
      const jobs = withPoints.map((h) =>
        ports.jobs.enqueue({ kind: 'verify', hostId: h!.id, volumes: [], type: null, priority: 20, origin: client.actor, params: { sample: p.sample ?? 100 } }),
      );
      ports.journal.audit(client.actor, 'store.verify', p.host ?? null, 'queued', { jobs: jobs.map((j) => j.id), sample: p.sample ?? 100 });
      return jobs.map((j) => ports.jobs.view(c.job(j.id)!));
    }
    case 'verify.results':
      return ports.maintenance.verifyResults(parse('verify.results', params).jobs);
    case 'maintenance.status':
      parse('maintenance.status', params);
      return { ...ports.maintenance.status(), auto: ports.auto.view() };
    case 'maintenance.preview':
      parse('maintenance.preview', params);
      return storeErrorsAsApi(() => ports.auto.preview());
    case 'maintenance.run':
      parse('maintenance.run', params);
      return storeErrorsAsApi(() => ports.auto.run(client.actor));
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
