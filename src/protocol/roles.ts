// Who may call what: the role each operator API method needs, in one table. The hub
// enforces it on every request; a method missing here does not compile.
import type { Role } from './access.js';
import type { MethodName } from './operator.js';

export const METHOD_ROLES: { readonly [M in MethodName]: Role } = {
  // reading and watching
  'hub.status': 'viewer',
  'subscribe': 'viewer',
  'bitmaps.watch': 'viewer',
  'whoami': 'viewer',
  'hosts.list': 'viewer',
  'jobs.list': 'viewer',
  'job.get': 'viewer',
  'points.list': 'viewer',
  'alarms.list': 'viewer',
  'metrics.history': 'viewer',
  'inspection.get': 'viewer',
  'schedules.list': 'viewer',
  'verify.results': 'viewer',
  'maintenance.status': 'viewer',
  'maintenance.preview': 'viewer',
  'store.info': 'viewer',
  'copies.list': 'viewer',
  'drill.preview': 'viewer',
  'drill.list': 'viewer',
  'failover.precheck': 'viewer',
  'runs.list': 'viewer',
  'runs.get': 'viewer',
  'reports.list': 'viewer',
  'reports.get': 'viewer',
  'instances.list': 'viewer',
  'instances.console': 'viewer',
  // day-to-day operations
  'backup.start': 'operator',
  'job.cancel': 'operator',
  'job.retry': 'operator',
  'restore.start': 'operator',
  'points.clearSuspect': 'operator',
  'alarms.ack': 'operator',
  'alarms.resolve': 'operator',
  'alarms.testChannel': 'operator',
  'schedules.run': 'operator',
  'store.verify': 'operator',
  'copies.run': 'operator',
  // reads blocks from agents and packs from copies; writes only good copies of damaged chunks
  'store.repair': 'operator',
  'drill.start': 'operator',
  'drill.verdict': 'operator',
  'drill.cleanup': 'operator',
  // a failover instance also needs its host name typed (checked by the recovery service)
  'instances.stop': 'operator',
  'mount.start': 'operator',
  'mount.stop': 'operator',
  // collects every agent's log tail and the catalog summary
  'logs.export': 'operator',
  // reads and hashes the source volume and the DR image in full
  'failback.precheck': 'operator',
  'audit.list': 'operator',
  // production, data removal and access
  'failover.start': 'admin',
  'failover.cancel': 'admin',
  'failback.start': 'admin',
  'retention.prune': 'admin',
  'store.gc': 'admin',
  'maintenance.run': 'admin',
  'hosts.add': 'admin',
  'hosts.revoke': 'admin',
  'operators.add': 'admin',
  'operators.list': 'admin',
  'operators.revoke': 'admin',
  'config.reload': 'admin',
  // mails the inspection to the configured people (nothing changes on the hub)
  'inspection.send': 'operator',
};

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function isRole(v: unknown): v is Role {
  return v === 'viewer' || v === 'operator' || v === 'admin';
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** The lesser of two roles (a client may ask to act with less than its token grants). */
export function lesserRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The role a method needs; undefined for a method the API does not have. */
export function requiredRole(method: string): Role | undefined {
  return Object.hasOwn(METHOD_ROLES, method) ? METHOD_ROLES[method as MethodName] : undefined;
}

/** A method changes something (anything a viewer may not call). */
export function isMutating(method: string): boolean {
  const r = requiredRole(method);
  return r !== undefined && r !== 'viewer';
}

/** `forbidden: failover needs role admin, you are viewer` */
export function forbiddenMessage(method: string, need: Role, have: Role): string {
  return `forbidden: ${method.replace(/\.start$/, '')} needs role ${need}, you are ${have}`;
}
