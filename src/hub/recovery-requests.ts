// Operator API requests of drills, failovers and reports: each validated with its schema
// (protocol/operator.ts), then handed to the recovery service, which audits who did what.
import { recoveryRequests } from '../protocol/operator.js';
import { RecoveryError } from '../recovery/errors.js';
import type { Operator } from '../recovery/host.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { RecoveryService } from '../recovery/service.js';
import { methodsOf, parse } from './params.js';

export const RECOVERY_METHODS = methodsOf(recoveryRequests);

/** What the requests of drills, failovers and reports use. */
export interface RecoveryRequestPorts {
  recovery: RecoveryService;
}

function operatorOf(c: ApiClientInfo): Operator {
  return { actor: c.actor, user: c.actor.replace(/^operator:/, ''), ssh: c.ssh ?? null };
}

function handle(ports: RecoveryRequestPorts, method: string, params: unknown, client: ApiClientInfo): unknown {
  const r = ports.recovery;
  const instances = r.instances;
  const who = operatorOf(client);
  switch (method) {
    case 'drill.preview':
      return r.previewDrill(parse('drill.preview', params));
    case 'drill.start':
      return r.startDrill(parse('drill.start', params), who);
    case 'drill.verdict': {
      const p = parse('drill.verdict', params);
      return r.setVerdict(p.id, p.verdict, p.notes, who);
    }
    case 'drill.list':
      return r.drills(parse('drill.list', params).all ?? false);
    case 'drill.cleanup': {
      const p = parse('drill.cleanup', params);
      // removing every drill's images is never the default
      if (p.id === undefined && !p.expiredOnly && !p.all) throw new ApiError('bad-request', 'drill.cleanup: give a run id, expiredOnly or all');
      return r.cleanup({ id: p.id, expiredOnly: p.expiredOnly }, who);
    }
    case 'failover.precheck':
      return r.precheckFailover(parse('failover.precheck', params), who);
    case 'failover.start':
      return r.startFailover(parse('failover.start', params), who);
    case 'failover.cancel':
      return r.wayBack.cancel(parse('failover.cancel', params), who);
    case 'failback.precheck':
      return r.wayBack.precheck(parse('failback.precheck', params), who).catch((e: Error) => {
        throw e instanceof RecoveryError ? new ApiError(e.code, e.message) : e;
      });
    case 'failback.start':
      return r.wayBack.start(parse('failback.start', params), who);
    case 'runs.list':
      return r.list(parse('runs.list', params).kind);
    case 'runs.get':
      return r.view(parse('runs.get', params).id);
    case 'reports.list':
      parse('reports.list', params);
      return r.reports();
    case 'reports.get':
      return r.report(parse('reports.get', params).id, who);
    case 'instances.list':
      return instances.list(parse('instances.list', params).all ?? false);
    case 'instances.stop': {
      const p = parse('instances.stop', params);
      return r.stopInstance(p.id, p.confirm, who);
    }
    case 'instances.console': {
      const p = parse('instances.console', params);
      return instances.console(p.id, p.offset);
    }
    case 'mount.start':
      return r.mount(parse('mount.start', params), who);
    case 'mount.stop':
      return r.unmount(parse('mount.stop', params), who);
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}

export async function handleRecoveryRequest(ports: RecoveryRequestPorts, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  try {
    return await handle(ports, method, params, client);
  } catch (e) {
    if (e instanceof RecoveryError) throw new ApiError(e.code, e.message);
    throw e;
  }
}
