// Wire mappers: catalog rows plus live state turned into the operator API's views (not screens).
import type { HostRow, JobRow, PointRow } from '../catalog/catalog.js';
import type { HostView, JobView, PointView, TierView } from '../protocol/operator.js';
import type { LiveState } from './live.js';
import type { HostRepo, PointRepo } from './ports.js';

export function hostView(c: HostRepo & PointRepo, live: LiveState, tiers: TierView[], h: HostRow): HostView {
  const l = live.host(h.name);
  const tier = tiers.find((t) => t.name === h.tier) ?? null;
  const vols = c.volumesOf(h.id);
  let lastPointTime: string | null = null;
  let backlog = 0;
  const volumes = vols.map((v) => {
    const p = c.latestPoint(v.id);
    if (p && (lastPointTime === null || p.time > lastPointTime)) lastPointTime = p.time;
    const dirty = l.dirty.get(v.name) ?? null;
    if (dirty) backlog += dirty.dirtyBytes;
    return { name: v.name, path: v.path, size: v.size, blockSize: v.blockSize, dirty };
  });
  return {
    name: h.name,
    tags: h.tags,
    tier: h.tier,
    link: l.link,
    lastSeen: l.lastSeen === null ? null : new Date(l.lastSeen).toISOString(),
    agentVersion: l.agentVersion,
    rpoSeconds: l.continuous?.rpoSeconds ?? tier?.rpoSeconds ?? null,
    rtoSeconds: tier?.rtoSeconds ?? null,
    lastPointTime,
    backlogBytes: backlog,
    throughput: [...l.buckets],
    volumes,
    failedOver: h.failedOver,
    revoked: h.revoked,
    agents: [...l.sites].sort(([a], [b]) => (a === b ? 0 : a === 'primary' ? -1 : 1)).map(([site, a]) => ({ site, connected: true, serving: (site === 'dr') === h.failedOver, version: a.version, remote: a.remote, since: a.since })),
    ...(l.continuous ? { continuous: { rpoSeconds: l.continuous.rpoSeconds, minIntervalSeconds: l.continuous.minIntervalSeconds, cycleStartedAt: l.continuous.cycleStartedAt === null ? null : new Date(l.continuous.cycleStartedAt).toISOString() } } : {}),
  };
}

export function pointView(c: HostRepo & PointRepo, p: PointRow): PointView {
  const v = c.volumeById(p.volumeId)!;
  const h = c.hostById(v.hostId)!;
  return {
    id: p.id,
    host: h.name,
    volume: v.name,
    time: p.time,
    type: p.type,
    parentId: p.parentId,
    size: p.size,
    blockSize: p.blockSize,
    changedBlocks: p.changedBlocks,
    bytesNew: p.bytesNew,
    merkleRoot: p.merkleRoot,
    verifiedAt: p.verifiedAt,
    copies: c.copiesOfPoint(p.id),
    damaged: p.damaged,
    site: p.site,
    suspect: p.suspect,
    change: p.changeRate === null ? null : { rate: p.changeRate, incompressibleShare: p.incompressibleShare ?? 0 },
    provenance: {
      verified: p.verifiedAt === null ? null : { time: p.verifiedAt, fraction: p.verifiedFraction ?? 1 },
      restored: p.provenance.restored ?? null,
      booted: p.provenance.booted ?? null,
      appChecked: p.provenance.appChecked ?? null,
      drilled: p.provenance.drilled ?? null,
      copies: c.copiesOfPoint(p.id),
    },
  };
}

export function jobView(c: HostRepo & PointRepo, live: LiveState, j: JobRow, waitReason: string | null): JobView {
  const h = c.hostById(j.hostId)!;
  const done = j.state === 'succeeded';
  const progress = live.progress.get(j.id) ?? {
    phase: j.state === 'queued' ? ('queued' as const) : ('done' as const),
    doneBytes: done ? j.bytesTotal : 0,
    totalBytes: j.bytesTotal,
    rate: 0,
    etaSeconds: null,
  };
  return {
    id: j.id,
    kind: j.kind,
    host: h.name,
    volumes: j.volumes,
    type: j.type,
    state: j.state,
    priority: j.priority,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    progress,
    waitReason: j.state === 'queued' ? waitReason : null,
    error: j.error,
    bytesWire: j.bytesWire,
    bytesNew: j.bytesNew,
    pointIds: c.pointsOfJob(j.id),
    origin: j.origin,
  };
}
