// Operator API requests of alarms, metrics history, the daily inspection and log export;
// each validated with its schema (protocol/operator.ts), then carried out, and audited.
import { AlarmError } from '../alarms/types.js';
import { resolutionFor } from '../catalog/metric-store.js';
import { monitoringRequests } from '../protocol/operator.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { HostRepo, Journal } from './ports.js';
import { dailyInspection, type DailyInspectionPorts } from './daily-inspection.js';
import { logBundle, type LogBundlePorts } from './log-bundle.js';
import type { HubMonitoring } from './monitoring.js';
import { methodsOf, parse } from './params.js';

export const MONITORING_METHODS = methodsOf(monitoringRequests);

/** What the requests of alarms, metric history, the daily inspection and log export use. */
export interface MonitoringRequestPorts {
  clock: DailyInspectionPorts['clock'];
  catalog: Pick<HostRepo, 'hostByName'>;
  journal: Pick<Journal, 'audit'>;
  monitoring: Pick<HubMonitoring, 'alarms' | 'metrics'>;
  dailyInspection: DailyInspectionPorts;
  logBundle: LogBundlePorts;
}

function asApiError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AlarmError) throw new ApiError(e.code, e.message);
    throw e;
  }
}

export async function handleMonitoringRequest(ports: MonitoringRequestPorts, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  const alarms = ports.monitoring.alarms;
  switch (method) {
    case 'alarms.list': {
      const p = parse('alarms.list', params);
      return alarms.list(p.open ?? false, p.limit ?? 200);
    }
    case 'alarms.ack': {
      const p = parse('alarms.ack', params);
      return asApiError(() => alarms.acknowledge(p.id, client.actor, p.note?.trim() || null));
    }
    case 'alarms.resolve': {
      const p = parse('alarms.resolve', params);
      return asApiError(() => alarms.resolve(p.id, client.actor, p.note));
    }
    case 'alarms.testChannel': {
      const p = parse('alarms.testChannel', params);
      try {
        return await alarms.testChannel(p.name, client.actor);
      } catch (e) {
        if (e instanceof AlarmError) throw new ApiError(e.code, e.message);
        throw e;
      }
    }
    case 'metrics.history': {
      const p = parse('metrics.history', params);
      if (!ports.catalog.hostByName(p.host)) throw new ApiError('not-found', `no host named ${p.host}`);
      const resolution = resolutionFor(p.range);
      const points = ports.monitoring.metrics.history(p.host, p.metric, resolution, ports.clock.now() - p.range * 1000);
      return {
        host: p.host,
        metric: p.metric,
        resolutionSeconds: resolution,
        points: points.map((x) => ({ time: new Date(x.bucket * 1000).toISOString(), avg: Math.round(x.avg * 1000) / 1000, max: x.max })),
      };
    }
    case 'inspection.get':
      parse('inspection.get', params);
      return dailyInspection(ports.dailyInspection);
    case 'logs.export': {
      parse('logs.export', params);
      const r = await logBundle(ports.logBundle);
      ports.journal.audit(client.actor, 'logs.export', null, r.errors.length ? 'partial' : 'ok', { files: r.files.map((f) => f.name), errors: r.errors });
      return r;
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
