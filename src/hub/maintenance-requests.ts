// Operator API requests of schedules, retention, gc and verify; each validated with its
// schema (protocol/operator.ts), then carried out, and audited.
import { maintenanceRequests } from '../protocol/operator.js';
import { StoreError } from '../store/errors.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { Hub } from './hub.js';
import { methodsOf, parse } from './params.js';

export const MAINTENANCE_METHODS = methodsOf(maintenanceRequests);

async function storeErrorsAsApi<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StoreError) throw new ApiError('store', e.message);
    throw e;
  }
}

export async function handleMaintenanceRequest(hub: Hub, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  const c = hub.catalog;
  switch (method) {
    case 'schedules.list':
      parse('schedules.list', params ?? {});
      return hub.scheduler.views();
    case 'schedules.run':
      return hub.scheduler.runNow(parse('schedules.run', params).name, client.actor);
    case 'retention.prune': {
      const p = parse('retention.prune', params ?? {});
      const now = p.now === undefined ? hub.now() : Date.parse(p.now);
      if (Number.isNaN(now)) throw new ApiError('bad-request', `now "${p.now}" is not an ISO 8601 time`);
      return storeErrorsAsApi(() => hub.maintenance.prune({ dryRun: p.dryRun ?? false, now }, client.actor));
    }
    case 'store.gc': {
      const p = parse('store.gc', params ?? {});
      return storeErrorsAsApi(() => hub.maintenance.gc({ bytesPerSecond: p.bytesPerSecond }, client.actor));
    }
    case 'store.verify': {
      const p = parse('store.verify', params ?? {});
      const hosts = p.host ? [c.hostByName(p.host)] : c.hosts();
      if (p.host && !hosts[0]) throw new ApiError('not-found', `no host named ${p.host}`);
      const withPoints = hosts.filter((h) => h && c.volumesOf(h.id).some((v) => c.latestPoint(v.id)));
      const jobs = withPoints.map((h) =>
        hub.jobs.enqueue({ kind: 'verify', hostId: h!.id, volumes: [], type: null, priority: 20, origin: client.actor, params: { sample: p.sample ?? 100 } }),
      );
      hub.audit(client.actor, 'store.verify', p.host ?? null, 'queued', { jobs: jobs.map((j) => j.id), sample: p.sample ?? 100 });
      return jobs.map((j) => hub.jobs.view(c.job(j.id)!));
    }
    case 'verify.results':
      return hub.maintenance.verifyResults(parse('verify.results', params).jobs);
    case 'maintenance.status':
      parse('maintenance.status', params);
      return hub.maintenance.status();
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
