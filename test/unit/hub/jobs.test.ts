// The job runner over fake ports: queue order, the global and per-host limits, backups that
// wait for their agent, hub tasks that fail or are cancelled, and recovery after a restart.
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog, JobRow } from '../../../src/catalog/catalog.js';
import { QueueStore } from '../../../src/catalog/queue-store.js';
import { JobRunner } from '../../../src/hub/jobs.js';
import { LiveState } from '../../../src/hub/live.js';
import type { HubTask } from '../../../src/hub/ports.js';
import { FakeLink, FakeLinks, ManualClock, RecordingFeed, RecordingJournal, settle, tempCatalog } from './fake-ports.js';

const T0 = '2026-01-05T10:00:00.000Z';

/** A hub task (restore or verify) that runs until the test ends it. */
class ControlledTasks {
  readonly running = new Map<number, { resolve(): void; reject(e: Error): void; signal: AbortSignal }>();
  readonly order: number[] = [];
  task: HubTask<JobRow> = (j, signal) =>
    new Promise<void>((resolve, reject) => {
      this.order.push(j.id);
      this.running.set(j.id, { resolve, reject, signal });
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  async finish(id: number, error?: string): Promise<void> {
    const r = this.running.get(id)!;
    this.running.delete(id);
    if (error) r.reject(new Error(error));
    else r.resolve();
    await settle();
  }
}

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

function setup(hosts: string[], concurrency = 4) {
  const db = tempCatalog(hosts, T0);
  cleanup = db.close;
  const clock = new ManualClock(Date.parse(T0));
  const journal = new RecordingJournal(clock);
  const links = new FakeLinks();
  const tasks = new ControlledTasks();
  const runner = new JobRunner({
    clock,
    catalog: db.catalog,
    queue: new QueueStore(db.catalog.db),
    live: new LiveState(),
    links,
    journal,
    feed: new RecordingFeed(),
    runVerify: tasks.task,
    runRestore: tasks.task,
    limits: { concurrency, agingSeconds: 60 },
  });
  const restore = (host: string, priority: number) =>
    runner.enqueue({ kind: 'restore', hostId: db.ids.get(host)!, volumes: ['root'], type: null, priority, origin: 'test', params: { pointId: 1, volume: 'root', to: '/x', format: 'raw' } }).id;
  const state = (id: number) => db.catalog.job(id)!.state;
  return { ...db, clock, journal, links, tasks, runner, restore, state };
}

function addVolume(c: Catalog, hostId: number, name: string): void {
  c.upsertVolume(hostId, name, `/dev/${name}`, 1 << 20, 65536);
}

describe('job runner', () => {
  it('starts no more jobs than the global limit at once, and the next one when a slot frees', async () => {
    const h = setup(['a', 'b', 'c'], 2);
    const low = h.restore('a', 1);
    const high = h.restore('b', 90);
    const mid = h.restore('c', 50);
    // each enqueue pumps: the first two queued fill the limit before the third is seen
    expect(h.tasks.order).toEqual([low, high]);
    expect(h.state(mid)).toBe('queued');
    await h.tasks.finish(low);
    expect(h.state(low)).toBe('succeeded');
    expect(h.tasks.order).toEqual([low, high, mid]);
  });

  it('picks the queued job of highest priority when a slot frees', async () => {
    const h = setup(['a', 'b', 'c', 'd'], 1);
    const first = h.restore('a', 5);
    const low = h.restore('b', 1);
    const high = h.restore('c', 80);
    const mid = h.restore('d', 40);
    expect(h.tasks.order).toEqual([first]);
    await h.tasks.finish(first);
    await h.tasks.finish(high);
    await h.tasks.finish(mid);
    expect(h.tasks.order).toEqual([first, high, mid, low]);
  });

  it('runs one job per host at a time', async () => {
    const h = setup(['a']);
    const one = h.restore('a', 5);
    const two = h.restore('a', 99);
    expect(h.tasks.order).toEqual([one]);
    expect(h.state(two)).toBe('queued');
    await h.tasks.finish(one);
    expect(h.tasks.order).toEqual([one, two]);
  });

  it('keeps a backup waiting, with the reason, until its agent is connected, then hands it the volumes', () => {
    const h = setup(['web-1']);
    addVolume(h.catalog, h.ids.get('web-1')!, 'root');
    const id = h.runner.enqueue({ kind: 'backup', hostId: h.ids.get('web-1')!, volumes: [], type: 'incremental', priority: 5, origin: 'test', params: {} }).id;
    expect(h.state(id)).toBe('queued');
    expect(h.runner.view(h.catalog.job(id)!).waitReason).toBe('waiting: agent of web-1 is not connected');
    const link = new FakeLink('web-1');
    h.links.set('web-1', link);
    h.runner.pump();
    expect(h.state(id)).toBe('running');
    expect(link.started).toEqual([{ jobId: id, full: false, volumes: [{ name: 'root', volumeId: expect.any(Number) as number, basePointId: null }] }]);
  });

  it('fails a backup at once when the host has no such volume', () => {
    const h = setup(['web-1']);
    addVolume(h.catalog, h.ids.get('web-1')!, 'root');
    h.links.set('web-1', new FakeLink('web-1'));
    const id = h.runner.enqueue({ kind: 'backup', hostId: h.ids.get('web-1')!, volumes: ['data'], type: 'full', priority: 5, origin: 'test', params: {} }).id;
    expect(h.catalog.job(id)!.error).toBe('host web-1 has no volume data');
    expect(h.journal.events.at(-1)).toMatchObject({ level: 'critical', kind: 'backup.failed', host: 'web-1' });
  });

  it('records a failed hub task with its error and a critical event', async () => {
    const h = setup(['a']);
    const id = h.restore('a', 5);
    await h.tasks.finish(id, 'disk full');
    const j = h.catalog.job(id)!;
    expect([j.state, j.error, j.finishedAt]).toEqual(['failed', 'disk full', T0]);
    expect(h.journal.events.at(-1)).toMatchObject({ level: 'critical', kind: 'restore.failed', message: `restore job ${id} of a failed: disk full` });
  });

  it('cancels a running hub task by aborting it, and a running backup by telling its agent', async () => {
    const h = setup(['a', 'web-1']);
    const id = h.restore('a', 5);
    const signal = h.tasks.running.get(id)!.signal;
    h.runner.cancel(id);
    await settle();
    expect(signal.aborted).toBe(true);
    expect(h.catalog.job(id)).toMatchObject({ state: 'cancelled', error: 'cancelled by operator' });

    addVolume(h.catalog, h.ids.get('web-1')!, 'root');
    const link = new FakeLink('web-1');
    h.links.set('web-1', link);
    const b = h.runner.enqueue({ kind: 'backup', hostId: h.ids.get('web-1')!, volumes: [], type: 'full', priority: 5, origin: 'test', params: {} }).id;
    h.runner.cancel(b, 'stopped: window closed');
    expect(link.aborted).toEqual(['stopped: window closed']);
    expect(h.catalog.job(b)).toMatchObject({ state: 'cancelled', error: 'stopped: window closed' });
  });

  it('cancels a queued job without starting it', () => {
    const h = setup(['a']);
    h.restore('a', 5);
    const queued = h.restore('a', 5);
    h.runner.cancel(queued);
    expect(h.catalog.job(queued)).toMatchObject({ state: 'cancelled', finishedAt: T0 });
    expect(h.tasks.order).toHaveLength(1);
  });

  it('marks jobs that were running when the hub stopped as failed on recovery', () => {
    const h = setup(['a']);
    const id = h.restore('a', 5);
    h.runner.stopAll('hub stopping');
    expect(h.catalog.job(id)).toMatchObject({ state: 'failed', error: 'hub stopping' });
    const other = h.catalog.insertJob({ kind: 'verify', hostId: h.ids.get('a')!, volumes: [], type: null, priority: 5, origin: 'x', params: {}, createdAt: T0 });
    h.catalog.updateJob(other.id, { state: 'running', startedAt: T0 });
    h.clock.set('2026-01-05T11:00:00.000Z');
    h.runner.recover();
    expect(h.catalog.job(other.id)).toMatchObject({ state: 'failed', error: 'hub restarted during the job', finishedAt: '2026-01-05T11:00:00.000Z' });
  });

  it('measures progress against the injected clock', () => {
    const h = setup(['a']);
    const id = h.restore('a', 5);
    h.runner.progress(id, 'restore', 0, 1000);
    h.clock.t += 2000;
    h.runner.progress(id, 'restore', 400, 1000);
    expect(h.runner.view(h.catalog.job(id)!).progress).toEqual({ phase: 'restore', doneBytes: 400, totalBytes: 1000, rate: 200, etaSeconds: 3 });
  });
});
