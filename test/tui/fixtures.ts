// A small hub as the cockpit sees it: 5 hosts (connected, disconnected, never seen),
// volumes with changed-block bitmaps, jobs in every state, points, events, throughput.
import type {
  DirtyBitmapView, EventView, HostView, JobView, PointView, Snapshot, ThroughputSample,
} from '../../src/protocol/operator.js';

export const NOW = Date.parse('2025-03-14T12:00:00Z');
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
const BLOCK = 64 * 1024;

export const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

export function bitmap(blockCount: number, dirty: (i: number) => boolean, blockSize = BLOCK): DirtyBitmapView {
  const bytes = new Uint8Array(Math.ceil(blockCount / 8));
  let count = 0;
  for (let i = 0; i < blockCount; i++) {
    if (!dirty(i)) continue;
    bytes[i >> 3] = bytes[i >> 3]! | (1 << (i & 7));
    count++;
  }
  return {
    blockCount, blockSize, dirtyCount: count, dirtyBytes: count * blockSize,
    bitmap: Buffer.from(bytes).toString('base64'), time: ago(2),
  };
}

/** 1024 blocks of 64 KiB: the first quarter fully dirty, the rest clean. */
export const ROOT_DIRTY = bitmap(1024, (i) => i < 256);

export function host(name: string, over: Partial<HostView> = {}): HostView {
  return {
    name, tags: [], tier: 'gold', link: 'connected', lastSeen: ago(1), agentVersion: '0.1.0',
    rpoSeconds: 900, rtoSeconds: 3600, lastPointTime: ago(240), backlogBytes: 0,
    throughput: [0, 1, 2, 4, 8, 4, 2].map((x) => x * MiB), volumes: [], failedOver: false, revoked: false,
    ...over,
  };
}

export function hosts(): HostView[] {
  return [
    host('web-01', {
      tags: ['web', 'prod'], backlogBytes: ROOT_DIRTY.dirtyBytes,
      volumes: [
        { name: 'root', path: '/dev/vda1', size: 1024 * BLOCK, blockSize: BLOCK, dirty: ROOT_DIRTY },
        { name: 'data', path: '/dev/vdb', size: 2048 * BLOCK, blockSize: BLOCK, dirty: bitmap(2048, (i) => i % 97 === 0) },
      ],
    }),
    host('web-02', { tags: ['web', 'prod'], lastPointTime: ago(13 * 60) }),
    host('db-01', { tags: ['db', 'prod'], link: 'disconnected', lastSeen: ago(3600), lastPointTime: ago(2 * 3600), throughput: [] }),
    host('files-01', { tags: ['files'], tier: 'silver', rpoSeconds: 3600, rtoSeconds: 4 * 3600, lastPointTime: ago(30 * 60) }),
    host('lab-01', {
      tags: ['lab'], tier: null, rpoSeconds: null, rtoSeconds: null, link: 'never', lastSeen: null,
      agentVersion: null, lastPointTime: null, throughput: [],
    }),
  ];
}

export function job(id: number, over: Partial<JobView> = {}): JobView {
  return {
    id, kind: 'backup', host: 'web-01', volumes: ['root'], type: 'incremental', state: 'succeeded', priority: 0,
    createdAt: ago(600), startedAt: ago(590), finishedAt: ago(500),
    progress: { phase: 'done', doneBytes: 10 * MiB, totalBytes: 10 * MiB, rate: 0, etaSeconds: null },
    waitReason: null, error: null, bytesWire: 4 * MiB, bytesNew: 3 * MiB, pointIds: [], origin: 'schedule:nightly',
    ...over,
  };
}

export function jobs(): JobView[] {
  return [
    job(101, {
      state: 'running', finishedAt: null, startedAt: ago(60),
      progress: { phase: 'transfer', doneBytes: 512 * MiB, totalBytes: 1024 * MiB, rate: 10 * MiB, etaSeconds: 51 },
    }),
    job(102, { host: 'db-01', state: 'queued', startedAt: null, finishedAt: null, waitReason: 'host disconnected' }),
    job(103, { host: 'web-02', state: 'succeeded', pointIds: [12] }),
    job(104, { host: 'files-01', state: 'failed', error: 'agent timed out after 300s' }),
    job(105, { kind: 'restore', type: null, state: 'cancelled', error: 'cancelled by operator:root' }),
  ];
}

export function point(id: number, hostName: string, volume: string, secondsAgo: number, over: Partial<PointView> = {}): PointView {
  return {
    id, host: hostName, volume, time: ago(secondsAgo), type: 'incremental', parentId: null, size: 1024 * BLOCK,
    blockSize: BLOCK, changedBlocks: 10, bytesNew: 640 * 1024, merkleRoot: 'ab'.repeat(32), verifiedAt: null,
    damaged: false, site: 'primary',
    suspect: false,
    change: null,
    provenance: { verified: over.verifiedAt ? { time: over.verifiedAt, fraction: 1 } : null, restored: null, booted: null, appChecked: null, drilled: null, copies: [] },
    ...over,
  };
}

export function points(): PointView[] {
  return [
    point(10, 'web-01', 'root', 86400, { type: 'full', verifiedAt: ago(80000) }),
    point(11, 'web-01', 'root', 240),
    point(12, 'web-02', 'root', 13 * 60),
    point(13, 'db-01', 'root', 7200, { type: 'full' }),
    point(14, 'files-01', 'root', 1800),
    point(15, 'web-01', 'data', 300),
  ];
}

export function events(): EventView[] {
  const e = (id: number, s: number, level: EventView['level'], h: string | null, message: string): EventView =>
    ({ id, time: ago(s), level, kind: 'job', host: h, message });
  return [
    e(1, 900, 'info', 'web-02', 'backup succeeded: point 12'),
    e(2, 600, 'warning', 'db-01', 'agent disconnected'),
    e(3, 300, 'critical', 'db-01', 'RPO breached: last point 2h ago'),
    e(4, 120, 'info', 'files-01', 'backup failed: agent timed out after 300s'),
    e(5, 30, 'info', null, 'schedule nightly queued 2 backups'),
  ];
}

/** One sample per 10 s over the last 15 min, ramping up to 40 MiB/s. */
export function throughput(): ThroughputSample[] {
  return Array.from({ length: 90 }, (_, i) => ({
    time: new Date(NOW - (89 - i) * 10_000).toISOString(),
    bytesPerSec: Math.round((i / 89) * 40 * MiB),
  }));
}

export function snapshot(): Snapshot {
  return {
    hub: {
      name: 'hub-test', version: '0.1.0', startedAt: ago(86400), dataDir: '/tmp/drc', agentsUrl: 'ws://127.0.0.1:7701',
      store: { bytesStored: 12 * GiB, bytesLogical: 48 * GiB, chunks: 123456, packs: 789, dedupRatio: 4 },
      stats: { succeeded24h: 19, failed24h: 1, succeeded7d: 140, failed7d: 10 },
      tiers: [{ name: 'gold', rpoSeconds: 900, rtoSeconds: 3600 }, { name: 'silver', rpoSeconds: 3600, rtoSeconds: 14400 }],
    },
    hosts: hosts(), jobs: jobs(), points: points(), events: events(), throughput: throughput(),
  };
}
