import { describe, expect, it } from 'vitest';
import {
  CockpitStore, EMPTY_STATE, EVENT_LIMIT, FINISHED_JOB_LIMIT, applyUpdate, attachClient, type CockpitState,
} from '../../src/tui/store.js';
import { FakeClient } from './fake-client.js';
import { NOW, ago, bitmap, host, job, snapshot } from './fixtures.js';
import { delay } from './helpers.js';

const synced = (): CockpitState => applyUpdate(EMPTY_STATE, { type: 'snapshot', snapshot: snapshot() });

describe('applyUpdate', () => {
  it('replaces everything with a snapshot and marks the state synced', () => {
    const s = synced();
    expect(s.synced).toBe(true);
    expect(s.hosts.map((h) => h.name)).toEqual(['web-01', 'web-02', 'db-01', 'files-01', 'lab-01']);
    const again = applyUpdate(s, { type: 'snapshot', snapshot: { ...snapshot(), hosts: [host('only')] } });
    expect(again.hosts.map((h) => h.name)).toEqual(['only']);
  });

  it('upserts a host in place and appends a new one', () => {
    const s = synced();
    const changed = applyUpdate(s, { type: 'host', host: host('web-02', { link: 'disconnected' }) });
    expect(changed.hosts[1]!.link).toBe('disconnected');
    expect(changed.hosts[0]).toBe(s.hosts[0]);
    const added = applyUpdate(changed, { type: 'host', host: host('new-01') });
    expect(added.hosts.map((h) => h.name).at(-1)).toBe('new-01');
  });

  it('removes hosts and points, and returns the same state when nothing matched', () => {
    const s = synced();
    expect(applyUpdate(s, { type: 'host.removed', name: 'db-01' }).hosts).toHaveLength(4);
    expect(applyUpdate(s, { type: 'host.removed', name: 'nope' })).toBe(s);
    expect(applyUpdate(s, { type: 'point.removed', id: 10 }).points.map((p) => p.id)).not.toContain(10);
    expect(applyUpdate(s, { type: 'point.removed', id: 999 })).toBe(s);
  });

  it('keeps only the newest 500 events', () => {
    let s = synced();
    for (let i = 0; i < EVENT_LIMIT + 20; i++) {
      s = applyUpdate(s, { type: 'event', event: { id: 1000 + i, time: ago(0), level: 'info', kind: 'x', host: null, message: `e${i}` } });
    }
    expect(s.events).toHaveLength(EVENT_LIMIT);
    expect(s.events.at(-1)!.id).toBe(1000 + EVENT_LIMIT + 19);
  });

  it('keeps every running or queued job but caps finished ones, dropping the oldest', () => {
    let s = synced();
    for (let i = 0; i < FINISHED_JOB_LIMIT + 10; i++) {
      s = applyUpdate(s, { type: 'job', job: job(1000 + i, { finishedAt: new Date(NOW + i * 1000).toISOString() }) });
    }
    const finished = s.jobs.filter((j) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled');
    expect(finished).toHaveLength(FINISHED_JOB_LIMIT);
    expect(s.jobs.some((j) => j.state === 'running')).toBe(true);
    expect(s.jobs.some((j) => j.state === 'queued')).toBe(true);
    expect(s.jobs.some((j) => j.id === 1000 + FINISHED_JOB_LIMIT + 9)).toBe(true);
  });

  it('keeps 15 minutes of throughput, replacing a sample of the same second', () => {
    let s = synced();
    const later = new Date(NOW + 20 * 60_000).toISOString();
    s = applyUpdate(s, { type: 'throughput', sample: { time: later, bytesPerSec: 5 } });
    expect(s.throughput).toHaveLength(1);
    s = applyUpdate(s, { type: 'throughput', sample: { time: later, bytesPerSec: 7 } });
    expect(s.throughput).toEqual([{ time: later, bytesPerSec: 7 }]);
  });

  it('applies a bitmap to its volume and derives the host backlog from the bitmaps', () => {
    const s = synced();
    const dirty = bitmap(1024, (i) => i < 10);
    const next = applyUpdate(s, { type: 'bitmap', host: 'web-01', volume: 'root', dirty });
    const web = next.hosts.find((h) => h.name === 'web-01')!;
    expect(web.volumes[0]!.dirty).toBe(dirty);
    expect(web.backlogBytes).toBe(dirty.dirtyBytes + web.volumes[1]!.dirty!.dirtyBytes);
    expect(applyUpdate(s, { type: 'bitmap', host: 'web-01', volume: 'nope', dirty })).toBe(s);
  });

  it('takes new counts from a backlog update and keeps the last bitmap of the volume', () => {
    const s = synced();
    const root = s.hosts.find((h) => h.name === 'web-01')!.volumes[0]!.dirty!;
    const backlog = { blockCount: root.blockCount, blockSize: root.blockSize, dirtyCount: root.dirtyCount + 5, dirtyBytes: root.dirtyBytes + 5 * root.blockSize, time: ago(1) };
    const next = applyUpdate(s, { type: 'backlog', host: 'web-01', volume: 'root', backlog });
    const web = next.hosts.find((h) => h.name === 'web-01')!;
    expect(web.volumes[0]!.dirty).toEqual({ ...backlog, bitmap: root.bitmap });
    expect(web.backlogBytes).toBe(backlog.dirtyBytes + web.volumes[1]!.dirty!.dirtyBytes);
  });

  it('ignores a backlog update with the counts it already has', () => {
    const s = synced();
    const { bitmap: _, ...same } = s.hosts.find((h) => h.name === 'web-01')!.volumes[0]!.dirty!;
    expect(applyUpdate(s, { type: 'backlog', host: 'web-01', volume: 'root', backlog: { ...same, time: ago(0) } })).toBe(s);
  });
});

describe('CockpitStore and attachClient', () => {
  it('notifies listeners only when the state changed', () => {
    const store = new CockpitStore(synced());
    let calls = 0;
    store.subscribe(() => { calls++; });
    store.apply({ type: 'host.removed', name: 'nope' });
    store.setConnection('connecting');
    expect(calls).toBe(0);
    store.apply({ type: 'host.removed', name: 'db-01' });
    expect(calls).toBe(1);
  });

  it('subscribes at once, applies the snapshot, and subscribes again after a reconnection', async () => {
    const client = new FakeClient();
    const store = new CockpitStore();
    const detach = attachClient(store, client);
    await delay(5);
    expect(client.callsOf('subscribe')).toHaveLength(1);
    expect(store.getState().synced).toBe(true);
    expect(store.getState().connection).toBe('connected');
    client.setConnection('connected');
    expect(client.callsOf('subscribe')).toHaveLength(1);
    client.setConnection('connecting');
    expect(store.getState().connection).toBe('connecting');
    client.setConnection('connected');
    await delay(5);
    expect(client.callsOf('subscribe')).toHaveLength(2);
    detach();
    client.emit({ type: 'host.removed', name: 'web-01' });
    expect(store.getState().hosts).toHaveLength(5);
  });
});
