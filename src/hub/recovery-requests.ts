// Operator API requests of drills, failovers and reports: each validated with a schema,
// then handed to the recovery service, which audits who did what.
import { bool, int, list, name, obj, oneOf, optional, str } from '../protocol/schema.js';
import { RecoveryError } from '../recovery/errors.js';
import type { Operator } from '../recovery/host.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { Hub } from './hub.js';
import { paramsParser } from './params.js';

const point = str(64);
const MAX_TTL = 365 * 86_400;

const schemas = {
  'drill.preview': obj({ hosts: optional(list(name, 256)), plan: optional(name), point: optional(point), target: optional(name) }),
  'drill.start': obj({
    hosts: optional(list(name, 256)),
    plan: optional(name),
    point: optional(point),
    target: optional(name),
    ttlSeconds: optional(int(1, MAX_TTL)),
    verdict: optional(oneOf('pass', 'fail')),
    notes: optional(str(4000)),
    instant: optional(bool),
  }),
  'drill.verdict': obj({ id: int(1), verdict: oneOf('pass', 'fail'), notes: optional(str(4000)) }),
  'drill.list': obj({ all: optional(bool) }),
  'drill.cleanup': obj({ id: optional(int(1)), expiredOnly: optional(bool) }),
  'failover.precheck': obj({ host: name, point: optional(point), target: optional(name) }),
  // confirm is checked by the service (and audited when wrong), so any string is accepted here
  'failover.start': obj({ host: name, point: optional(point), target: optional(name), confirm: optional(str(200)), instant: optional(bool) }),
  'instances.list': obj({ all: optional(bool) }),
  'instances.stop': obj({ id: int(1), confirm: optional(str(200)) }),
  'instances.console': obj({ id: int(1), offset: optional(int(0)) }),
  'mount.start': obj({ host: name, volume: optional(name), point: optional(point) }),
  'mount.stop': obj({ id: optional(int(1)), host: optional(name) }),
  'runs.list': obj({ kind: optional(oneOf('drill', 'failover')) }),
  'runs.get': obj({ id: int(1) }),
  'reports.list': obj({}),
  'reports.get': obj({ id: int(1) }),
};

export const RECOVERY_METHODS = new Set(Object.keys(schemas));

const parse = paramsParser(schemas);

function operatorOf(c: ApiClientInfo): Operator {
  return { actor: c.actor, user: c.actor.replace(/^operator:/, ''), ssh: c.ssh ?? null };
}

function handle(hub: Hub, method: string, params: unknown, client: ApiClientInfo): unknown {
  const instances = hub.recovery.instances;
  const r = hub.recovery;
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
    case 'drill.cleanup':
      return r.cleanup(parse('drill.cleanup', params), who);
    case 'failover.precheck':
      return r.precheckFailover(parse('failover.precheck', params), who);
    case 'failover.start':
      return r.startFailover(parse('failover.start', params), who);
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

export async function handleRecoveryRequest(hub: Hub, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  try {
    return await handle(hub, method, params, client);
  } catch (e) {
    if (e instanceof RecoveryError) throw new ApiError(e.code, e.message);
    throw e;
  }
}
