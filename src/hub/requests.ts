// Operator API requests: each validated with a schema, then carried out, and audited.
import path from 'node:path';
import type { WebSocket } from 'ws';
import { bool, int, list, name, nullable, obj, oneOf, optional, str } from '../protocol/schema.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { Hub } from './hub.js';
import { INSPECTION_METHODS, handleInspectionRequest } from './inspection-requests.js';
import { MAINTENANCE_METHODS, handleMaintenanceRequest } from './maintenance-requests.js';
import { RECOVERY_METHODS, handleRecoveryRequest } from './recovery-requests.js';
import { STORAGE_METHODS, handleStorageRequest } from './storage-requests.js';
import { hashToken, newToken } from './tokens.js';
import { hostView, pointView } from './views.js';
import { paramsParser } from './params.js';

const schemas = {
  'hosts.add': obj({ name, tags: optional(list(str(63), 64)), tier: optional(nullable(str(63))), expiresInSeconds: optional(int(60, 10 * 366 * 86_400)) }),
  'hosts.revoke': obj({ name }),
  'backup.start': obj({ host: name, volume: optional(name), full: optional(bool), origin: optional(str(100)), priority: optional(int(0, 100)) }),
  'job.get': obj({ id: int(1) }),
  'job.cancel': obj({ id: int(1) }),
  'job.retry': obj({ id: int(1) }),
  'points.list': obj({ host: name, volume: optional(name) }),
  'restore.start': obj({
    host: name,
    volume: name,
    point: str(64),
    to: str(4096),
    format: optional(oneOf('raw', 'qcow2', 'vmdk', 'vhdx')),
    origin: optional(str(100)),
    sync: optional(bool),
  }),
};

const parse = paramsParser(schemas);

function hostOrThrow(hub: Hub, host: string) {
  const h = hub.catalog.hostByName(host);
  if (!h) throw new ApiError('not-found', `no host named ${host}`);
  return h;
}

function jobOrThrow(hub: Hub, id: number) {
  const j = hub.catalog.job(id);
  if (!j) throw new ApiError('not-found', `no job ${id}`);
  return j;
}

/** Resolve `latest`, a point id or an ISO time to a point of the volume. */
export function resolvePoint(hub: Hub, volumeId: number, spec: string, where: string): number {
  const points = hub.catalog.points(volumeId);
  if (points.length === 0) throw new ApiError('not-found', `${where} has no recovery points`);
  if (spec === 'latest') return points[points.length - 1]!.id;
  if (/^\d+$/.test(spec)) {
    const p = points.find((x) => x.id === Number(spec));
    if (!p) throw new ApiError('not-found', `${where} has no recovery point ${spec}`);
    return p.id;
  }
  const t = Date.parse(spec);
  if (Number.isNaN(t)) throw new ApiError('bad-request', `point "${spec}" is not an id, "latest" or an ISO 8601 time`);
  const before = points.filter((p) => Date.parse(p.time) <= t);
  if (before.length === 0) throw new ApiError('not-found', `${where} has no recovery point at or before ${spec}`);
  return before[before.length - 1]!.id;
}

export async function handleRequest(hub: Hub, method: string, params: unknown, client: ApiClientInfo, ws: WebSocket): Promise<unknown> {
  const c = hub.catalog;
  if (INSPECTION_METHODS.has(method)) return handleInspectionRequest(hub, method, params, client);
  if (RECOVERY_METHODS.has(method)) return handleRecoveryRequest(hub, method, params, client);
  if (MAINTENANCE_METHODS.has(method)) return handleMaintenanceRequest(hub, method, params, client);
  if (STORAGE_METHODS.has(method)) return handleStorageRequest(hub, method, params, client);
  switch (method) {
    case 'hub.status':
      return hub.snapshot();
    case 'subscribe':
      client.subscribed = true;
      if ((params as { snapshot?: unknown }).snapshot !== false) ws.send(JSON.stringify({ type: 'snapshot', snapshot: hub.api.snapshotFor(ws, hub.snapshot()) }));
      return { ok: true };
    case 'hosts.list':
      return c.hosts().map((h) => hostView(c, hub.live, hub.o.tiers, h));
    case 'hosts.add': {
      const p = parse('hosts.add', params);
      if (p.tier && !hub.o.tiers.some((t) => t.name === p.tier)) {
        throw new ApiError('bad-request', `tier ${p.tier} is not defined (defined: ${hub.o.tiers.map((t) => t.name).join(', ') || 'none'})`);
      }
      const token = newToken();
      const existing = c.hostByName(p.name);
      if (existing && existing.tokenHash && !existing.revoked) throw new ApiError('exists', `host ${p.name} already exists`);
      const h = existing
        ? (c.setHostToken(existing.id, hashToken(token)), c.hostById(existing.id)!)
        : c.addHost(p.name, p.tags ?? [], p.tier ?? null, hashToken(token), hub.iso());
      hub.inspection.setTokenExpiry(h.id, p.expiresInSeconds ?? null);
      hub.audit(client.actor, 'hosts.add', p.name, 'ok');
      hub.event('info', 'host.added', p.name, `host ${p.name} added by ${client.actor}`);
      hub.pushHost(p.name);
      return { host: hostView(c, hub.live, hub.o.tiers, h), token };
    }
    case 'hosts.revoke': {
      const p = parse('hosts.revoke', params);
      const h = hostOrThrow(hub, p.name);
      c.revokeHost(h.id);
      hub.audit(client.actor, 'hosts.revoke', p.name, 'ok');
      hub.sessions.get(p.name)?.close(4005, 'token revoked');
      hub.pushHost(p.name);
      return { ok: true };
    }
    case 'backup.start': {
      const p = parse('backup.start', params);
      const h = hostOrThrow(hub, p.host);
      if (h.failedOver) throw new ApiError('refused', `host ${p.host} is failed over; replication is fenced`);
      const j = hub.jobs.enqueue({
        kind: 'backup',
        hostId: h.id,
        volumes: p.volume ? [p.volume] : [],
        type: p.full ? 'full' : 'incremental',
        priority: p.priority ?? 5,
        origin: p.origin ?? client.actor,
        params: {},
      });
      hub.audit(client.actor, 'backup.start', p.host, 'queued', { job: j.id, full: !!p.full });
      return hub.jobs.view(hub.catalog.job(j.id)!);
    }
    case 'jobs.list':
      return hub.jobs.views();
    case 'job.get':
      return hub.jobs.view(jobOrThrow(hub, parse('job.get', params).id));
    case 'job.cancel': {
      const j = jobOrThrow(hub, parse('job.cancel', params).id);
      if (j.state !== 'queued' && j.state !== 'running') throw new ApiError('refused', `job ${j.id} is ${j.state}; nothing to cancel`);
      hub.audit(client.actor, 'job.cancel', String(j.id), 'ok');
      return hub.jobs.view(hub.jobs.cancel(j.id));
    }
    case 'job.retry': {
      const j = jobOrThrow(hub, parse('job.retry', params).id);
      if (j.state !== 'failed' && j.state !== 'cancelled') throw new ApiError('refused', `job ${j.id} is ${j.state}; only failed or cancelled jobs can be retried`);
      const n = hub.jobs.enqueue({ kind: j.kind, hostId: j.hostId, volumes: j.volumes, type: j.type, priority: j.priority, origin: client.actor, params: j.params });
      hub.audit(client.actor, 'job.retry', String(j.id), 'queued', { job: n.id });
      return hub.jobs.view(n);
    }
    case 'points.list': {
      const p = parse('points.list', params);
      const h = hostOrThrow(hub, p.host);
      const vols = c.volumesOf(h.id).filter((v) => !p.volume || v.name === p.volume);
      if (p.volume && vols.length === 0) throw new ApiError('not-found', `host ${p.host} has no volume ${p.volume}`);
      return vols.flatMap((v) => c.points(v.id)).sort((a, b) => a.id - b.id).map((pt) => pointView(c, pt));
    }
    case 'restore.start': {
      const p = parse('restore.start', params);
      const h = hostOrThrow(hub, p.host);
      const v = c.volume(h.id, p.volume);
      if (!v) throw new ApiError('not-found', `host ${p.host} has no volume ${p.volume}`);
      if (!path.isAbsolute(p.to)) throw new ApiError('bad-request', `restore target must be an absolute path: ${p.to}`);
      const pointId = resolvePoint(hub, v.id, p.point, `${p.host}/${p.volume}`);
      const j = hub.jobs.enqueue({
        kind: 'restore',
        hostId: h.id,
        volumes: [p.volume],
        type: null,
        priority: 50,
        origin: p.origin ?? client.actor,
        params: { pointId, volume: p.volume, to: p.to, format: p.format ?? 'raw', sync: p.sync ?? true },
      });
      hub.audit(client.actor, 'restore.start', p.host, 'queued', { job: j.id, point: pointId, to: p.to });
      return hub.jobs.view(hub.catalog.job(j.id)!);
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
