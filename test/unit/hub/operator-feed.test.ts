// What the operators' door sends each subscriber of changed-block bitmaps: in full only
// for the hosts it watches (bitmaps.watch), counts for the others, and only on change;
// and of resource metrics: those of the watched hosts only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { OperatorApi } from '../../../src/hub/api.js';
import type { DirtyBitmapView, HostView, Snapshot, Update } from '../../../src/protocol/operator.js';

const dirty = (dirtyCount: number, bitmap = 'AQ=='): DirtyBitmapView => ({
  blockCount: 8, blockSize: 65536, dirtyCount, dirtyBytes: dirtyCount * 65536, bitmap, time: '2025-03-14T12:00:00.000Z',
});

const hostView = (name: string, d: DirtyBitmapView): HostView => ({
  name, tags: [], tier: null, link: 'connected', lastSeen: null, agentVersion: null, rpoSeconds: null, rtoSeconds: null,
  lastPointTime: null, backlogBytes: d.dirtyBytes, throughput: [], failedOver: false, revoked: false,
  volumes: [{ name: 'root', path: '/dev/vda', size: 8 * 65536, blockSize: 65536, dirty: d }],
});

const snapshotOf = (hosts: HostView[]): Snapshot => ({
  hub: null as unknown as Snapshot['hub'], hosts, jobs: [], points: [], events: [], throughput: [],
});

interface Peer {
  ws: WebSocket;
  got: (Update & { type: string })[];
  call(method: string, params: unknown): Promise<unknown>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(hosts: HostView[]): Promise<{ api: OperatorApi; connect: () => Promise<Peer> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-feed-'));
  const sock = path.join(dir, 'api.sock');
  const api: OperatorApi = new OperatorApi((method, _params, client, ws) => {
    if (method !== 'subscribe') throw new Error(`unexpected ${method}`);
    client.subscribed = true;
    ws.send(JSON.stringify({ type: 'snapshot', snapshot: api.snapshotFor(ws, snapshotOf(hosts)) }));
    return { ok: true };
  });
  await api.listenUnix(sock);
  cleanups.push(async () => { await api.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const connect = async (): Promise<Peer> => {
    const ws = new WebSocket(`ws+unix://${sock}:/`);
    await new Promise((r) => ws.once('open', r));
    const got: Peer['got'] = [];
    const pending = new Map<number, (v: unknown) => void>();
    let id = 0;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; type?: string };
      if (typeof m.id === 'number') pending.get(m.id)?.(m.result);
      else got.push(m as Peer['got'][number]);
    });
    return {
      ws, got,
      call: (method, params) => new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    };
  };
  return { api, connect };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

/** Hosts web-01 and db-01; one client that watches nothing in particular, a cockpit that watches db-01. */
async function twoSubscribers(): Promise<{ api: OperatorApi; everything: Peer; cockpit: Peer }> {
  const { api, connect } = await setup([hostView('web-01', dirty(1)), hostView('db-01', dirty(1))]);
  const everything = await connect();
  const cockpit = await connect();
  await everything.call('subscribe', {});
  await cockpit.call('bitmaps.watch', { hosts: ['db-01'] });
  await cockpit.call('subscribe', {});
  return { api, everything, cockpit };
}

describe('operator API bitmap feed', () => {
  it('sends a bitmap in full to watchers of its host, its counts to the others, and nothing when they did not change', async () => {
    const { api, everything, cockpit } = await twoSubscribers();
    api.broadcast({ type: 'bitmap', host: 'web-01', volume: 'root', dirty: dirty(2, 'Aw==') });
    api.broadcast({ type: 'bitmap', host: 'web-01', volume: 'root', dirty: { ...dirty(2, 'Aw=='), time: '2025-03-14T12:00:01.000Z' } });
    api.broadcast({ type: 'bitmap', host: 'db-01', volume: 'root', dirty: dirty(3, 'Bw==') });
    await settle();
    expect(everything.got.filter((u) => u.type === 'bitmap')).toHaveLength(3);
    expect(cockpit.got.map((u) => u.type)).toEqual(['snapshot', 'backlog', 'bitmap']);
    const { bitmap: _, ...counts } = dirty(2);
    expect(cockpit.got[1]).toEqual({ type: 'backlog', host: 'web-01', volume: 'root', backlog: counts });
    expect(cockpit.got[2]).toMatchObject({ type: 'bitmap', host: 'db-01', dirty: { bitmap: 'Bw==' } });
    everything.ws.close();
    cockpit.ws.close();
  });

  it('leaves unwatched hosts out of the snapshot and host views, and sends the latest bitmaps of a newly watched host', async () => {
    const { api, connect } = await setup([hostView('web-01', dirty(1)), hostView('db-01', dirty(1))]);
    const cockpit = await connect();
    await cockpit.call('bitmaps.watch', { hosts: [] });
    await cockpit.call('subscribe', {});
    api.broadcast({ type: 'bitmap', host: 'web-01', volume: 'root', dirty: dirty(2, 'Aw==') });
    api.broadcast({ type: 'host', host: hostView('db-01', dirty(1, 'AQ==')) });
    await settle();
    const snap = cockpit.got[0] as Extract<Update, { type: 'snapshot' }>;
    expect(snap.snapshot.hosts.map((h) => h.volumes[0]!.dirty!.bitmap)).toEqual(['', '']);
    expect((cockpit.got[2] as Extract<Update, { type: 'host' }>).host.volumes[0]!.dirty).toEqual(dirty(1, ''));
    await cockpit.call('bitmaps.watch', { hosts: ['web-01'] });
    await settle();
    expect(cockpit.got.at(-1)).toEqual({ type: 'bitmap', host: 'web-01', volume: 'root', dirty: dirty(2, 'Aw==') });
    cockpit.ws.close();
  });
});

describe('operator API metrics feed', () => {
  const metrics = (host: string, cpu: number): Extract<Update, { type: 'metrics' }> => ({
    type: 'metrics', host,
    metrics: {
      time: `2025-03-14T12:00:0${cpu % 10}.000Z`, cpu, memoryPercent: 50, memoryUsedBytes: 1, memoryTotalBytes: 2, disks: [], processes: [],
      netRxBytesPerSec: 0, netTxBytesPerSec: 0,
    },
    link: { state: 'good', latencyMs: 1, bandwidthBps: null, lastPong: null },
  });

  it('sends metrics to every client by default, to a watcher for its hosts only, and the latest at once when it starts watching one', async () => {
    const { api, everything, cockpit } = await twoSubscribers();
    api.broadcast(metrics('web-01', 1));
    api.broadcast(metrics('db-01', 2));
    api.broadcast(metrics('web-01', 3));
    await settle();
    const cpus = (p: Peer): [string, number][] => p.got.filter((u) => u.type === 'metrics').map((u) => {
      const m = u as Extract<Update, { type: 'metrics' }>;
      return [m.host, m.metrics.cpu];
    });
    expect(cpus(everything)).toEqual([['web-01', 1], ['db-01', 2], ['web-01', 3]]);
    expect(cpus(cockpit)).toEqual([['db-01', 2]]);
    // the cockpit opens web-01: its newest sample comes without waiting for the next one
    await cockpit.call('bitmaps.watch', { hosts: ['web-01'] });
    await settle();
    expect(cpus(cockpit)).toEqual([['db-01', 2], ['web-01', 3]]);
    api.broadcast(metrics('db-01', 4));
    api.broadcast({ type: 'host.removed', name: 'web-01' });
    await cockpit.call('bitmaps.watch', { hosts: [] });
    await cockpit.call('bitmaps.watch', { hosts: ['web-01', 'db-01'] });
    await settle();
    // db-01 was not watched when its sample 4 came: it is sent on watching; web-01 is gone
    expect(cpus(cockpit)).toEqual([['db-01', 2], ['web-01', 3], ['db-01', 4]]);
    everything.ws.close();
    cockpit.ws.close();
  });
});
