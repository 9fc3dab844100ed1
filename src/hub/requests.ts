// Operator API requests: each validated with its schema from protocol/operator.ts, then
// carried out, and audited.
import fs from 'node:fs';
import path from 'node:path';
import type { WebSocket } from 'ws';
import type { Catalog } from '../catalog/catalog.js';
import type { ChangeRepo } from '../catalog/change-repo.js';
import type { Snapshot, TierView } from '../protocol/operator.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { JobRunner } from './jobs.js';
import type { LiveState } from './live.js';
import { ACCESS_METHODS, handleAccessRequest, type AccessRequestPorts } from './access-requests.js';
import { MAINTENANCE_METHODS, handleMaintenanceRequest, type MaintenanceRequestPorts } from './maintenance-requests.js';
import type { HubMonitoring } from './monitoring.js';
import { MONITORING_METHODS, handleMonitoringRequest, type MonitoringRequestPorts } from './monitoring-requests.js';
import type { AgentLinks, Broadcaster, Clock, HostRepo, JobRepo, Journal, PointRepo } from './ports.js';
import { RECOVERY_METHODS, handleRecoveryRequest, type RecoveryRequestPorts } from './recovery-requests.js';
import { STORAGE_METHODS, handleStorageRequest, type StorageRequestPorts } from './storage-requests.js';
import { CONFIG_METHODS, handleConfigRequest, type ConfigRequestPorts } from './config-requests.js';
import { hashToken, newToken } from './tokens.js';
import { hostView, pointView } from './wire.js';
import { knownMethod, parse } from './params.js';

/** What the operator API's requests use; each family of requests gets its own ports. */
export interface RequestPorts {
  clock: Clock;
  catalog: HostRepo & PointRepo & Pick<JobRepo, 'job'> & Pick<Catalog, 'addHost' | 'setHostToken' | 'revokeHost'>;
  jobs: Pick<JobRunner, 'enqueue' | 'view' | 'views' | 'cancel'>;
  journal: Journal;
  feed: Broadcaster;
  live: LiveState;
  links: AgentLinks;
  tiers: TierView[];
  monitoring: Pick<HubMonitoring, 'setTokenExpiry'>;
  /** suspect marks of points */
  change: Pick<ChangeRepo, 'setSuspect'>;
  snapshot(): Snapshot;
  /** the snapshot as this subscriber asked for it (bitmaps only of the hosts it watches) */
  snapshotFor(ws: WebSocket, s: Snapshot): Snapshot;
  monitoringRequests: MonitoringRequestPorts;
  maintenanceRequests: MaintenanceRequestPorts;
  recoveryRequests: RecoveryRequestPorts;
  accessRequests: AccessRequestPorts;
  storageRequests: StorageRequestPorts;
  configRequests: ConfigRequestPorts;
}

function hostOrThrow(ports: Pick<RequestPorts, 'catalog'>, host: string) {
  const h = ports.catalog.hostByName(host);
  if (!h) throw new ApiError('not-found', `no host named ${host}`);
  return h;
}

function jobOrThrow(ports: Pick<RequestPorts, 'catalog'>, id: number) {
  const j = ports.catalog.job(id);
  if (!j) throw new ApiError('not-found', `no job ${id}`);
  return j;
}

/** Resolve `latest`, a point id or an ISO time to a point of the volume. */
export function resolvePoint(ports: Pick<RequestPorts, 'catalog'>, volumeId: number, spec: string, where: string): number {
  const points = ports.catalog.points(volumeId);
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

export async function handleRequest(ports: RequestPorts, method: string, params: unknown, client: ApiClientInfo, ws: WebSocket): Promise<unknown> {
  const c = ports.catalog;
  knownMethod(method);
  if (ACCESS_METHODS.has(method)) return handleAccessRequest(ports.accessRequests, method, params, client);
  if (MONITORING_METHODS.has(method)) return handleMonitoringRequest(ports.monitoringRequests, method, params, client);
  if (RECOVERY_METHODS.has(method)) return handleRecoveryRequest(ports.recoveryRequests, method, params, client);
  if (MAINTENANCE_METHODS.has(method)) return handleMaintenanceRequest(ports.maintenanceRequests, method, params, client);
  if (STORAGE_METHODS.has(method)) return handleStorageRequest(ports.storageRequests, method, params, client);
  if (CONFIG_METHODS.has(method)) return handleConfigRequest(ports.configRequests, method, params, client);
  switch (method) {
    case 'hub.status':
      parse('hub.status', params);
      return ports.snapshot();
    case 'subscribe': {
      const p = parse('subscribe', params);
      client.subscribed = true;
      if (p.snapshot !== false) ws.send(JSON.stringify({ type: 'snapshot', snapshot: ports.snapshotFor(ws, ports.snapshot()) }));
      return { ok: true };
    }
    case 'hosts.list':
      parse('hosts.list', params);
      return c.hosts().map((h) => hostView(c, ports.live, ports.tiers, h));
    case 'hosts.add': {
      const p = parse('hosts.add', params);
      if (p.tier && !ports.tiers.some((t) => t.name === p.tier)) {
        throw new ApiError('bad-request', `tier ${p.tier} is not defined (defined: ${ports.tiers.map((t) => t.name).join(', ') || 'none'})`);
      }
      const token = newToken();
      const existing = c.hostByName(p.name);
      if (existing && existing.tokenHash && !existing.revoked) throw new ApiError('exists', `host ${p.name} already exists`);
      const h = existing
        ? (c.setHostToken(existing.id, hashToken(token)), c.hostById(existing.id)!)
        : c.addHost(p.name, p.tags ?? [], p.tier ?? null, hashToken(token), ports.clock.iso());
      ports.monitoring.setTokenExpiry(h.id, p.expiresInSeconds ?? null);
      ports.journal.audit(client.actor, 'hosts.add', p.name, 'ok');
      ports.journal.event('info', 'host.added', p.name, `host ${p.name} added by ${client.actor}`);
      ports.feed.pushHost(p.name);
      return { host: hostView(c, ports.live, ports.tiers, h), token };
    }
    case 'hosts.revoke': {
      const p = parse('hosts.revoke', params);
      const h = hostOrThrow(ports, p.name);
      c.revokeHost(h.id);
      ports.journal.audit(client.actor, 'hosts.revoke', p.name, 'ok');
      for (const site of ['primary', 'dr'] as const) ports.links.site(p.name, site)?.close(4005, 'token revoked');
      ports.feed.pushHost(p.name);
      return { ok: true };
    }
    case 'backup.start': {
      const p = parse('backup.start', params);
      const h = hostOrThrow(ports, p.host);
      if (h.failedOver && ports.links.get(p.host)?.site !== 'dr') throw new ApiError('refused', `host ${p.host} is failed over; replication is fenced (an agent at the DR site, drc agent --site dr, may back up the recovered image)`);
      if (h.revoked) throw new ApiError('refused', `host ${p.host} is revoked; its agent cannot connect (drc hosts add ${p.host} issues a new token)`);
      const j = ports.jobs.enqueue({
        kind: 'backup',
        hostId: h.id,
        volumes: p.volume ? [p.volume] : [],
        type: p.full ? 'full' : 'incremental',
        priority: p.priority ?? 5,
        origin: p.origin ?? client.actor,
        params: {},
      });
      ports.journal.audit(client.actor, 'backup.start', p.host, 'queued', { job: j.id, full: !!p.full });
      return ports.jobs.view(ports.catalog.job(j.id)!);
    }
    case 'jobs.list':
      parse('jobs.list', params);
      return ports.jobs.views();
    case 'job.get':
      return ports.jobs.view(jobOrThrow(ports, parse('job.get', params).id));
    case 'job.cancel': {
      const j = jobOrThrow(ports, parse('job.cancel', params).id);
      if (j.state !== 'queued' && j.state !== 'running') throw new ApiError('refused', `job ${j.id} is ${j.state}; nothing to cancel`);
      ports.journal.audit(client.actor, 'job.cancel', String(j.id), 'ok');
      return ports.jobs.view(ports.jobs.cancel(j.id));
    }
    case 'job.retry': {
      const j = jobOrThrow(ports, parse('job.retry', params).id);
      if (j.state !== 'failed' && j.state !== 'cancelled') throw new ApiError('refused', `job ${j.id} is ${j.state}; only failed or cancelled jobs can be retried`);
      const n = ports.jobs.enqueue({ kind: j.kind, hostId: j.hostId, volumes: j.volumes, type: j.type, priority: j.priority, origin: client.actor, params: j.params });
      ports.journal.audit(client.actor, 'job.retry', String(j.id), 'queued', { job: n.id });
      return ports.jobs.view(n);
    }
    case 'points.list': {
      const p = parse('points.list', params);
      const h = hostOrThrow(ports, p.host);
      const vols = c.volumesOf(h.id).filter((v) => !p.volume || v.name === p.volume);
      if (p.volume && vols.length === 0) throw new ApiError('not-found', `host ${p.host} has no volume ${p.volume}`);
      return vols.flatMap((v) => c.points(v.id)).sort((a, b) => a.id - b.id).map((pt) => pointView(c, pt));
    }
    case 'points.clearSuspect': {
      const p = parse('points.clearSuspect', params);
      const pt = c.point(p.id);
      if (!pt) throw new ApiError('not-found', `no recovery point ${p.id}`);
      if (!pt.suspect) throw new ApiError('refused', `recovery point ${p.id} is not suspect`);
      ports.change.setSuspect(pt.id, false);
      const view = pointView(c, c.point(pt.id)!);
      ports.journal.audit(client.actor, 'points.clearSuspect', view.host, 'ok', { point: pt.id, note: p.note });
      ports.journal.event('info', 'change.cleared', view.host, `recovery point ${pt.id} of ${view.host}/${view.volume} is no longer suspect: ${client.actor} judged its change benign (${p.note})`, { point: pt.id });
      ports.feed.broadcast({ type: 'point', point: view });
      return view;
    }
    case 'restore.start': {
      const p = parse('restore.start', params);
      const h = hostOrThrow(ports, p.host);
      const v = c.volume(h.id, p.volume);
      if (!v) throw new ApiError('not-found', `host ${p.host} has no volume ${p.volume}`);
      if (!path.isAbsolute(p.to)) throw new ApiError('bad-request', `restore target must be an absolute path: ${p.to}`);
      if (!p.force && fs.existsSync(p.to)) throw new ApiError('exists', `${p.to} already exists; give --force to overwrite it`);
      const pointId = resolvePoint(ports, v.id, p.point, `${p.host}/${p.volume}`);
      const j = ports.jobs.enqueue({
        kind: 'restore',
        hostId: h.id,
        volumes: [p.volume],
        type: null,
        priority: 50,
        origin: p.origin ?? client.actor,
        params: { pointId, volume: p.volume, to: p.to, format: p.format ?? 'raw', sync: p.sync ?? true, allowDamaged: p.allowDamaged ?? false },
      });
      ports.journal.audit(client.actor, 'restore.start', p.host, 'queued', { job: j.id, point: pointId, to: p.to });
      return ports.jobs.view(ports.catalog.job(j.id)!);
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
