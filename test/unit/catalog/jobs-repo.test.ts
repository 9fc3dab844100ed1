// Jobs through their lifecycle as the job runner writes it: queued, running, finished with
// bytes and errors, counted by outcome, and still there after the catalog is reopened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewJob } from '../../../src/catalog/jobs-repo.js';
import { TempCatalog } from './temp-catalog.js';

let t: TempCatalog;
let hostId: number;
const WINDOW = { text: '22:00-06:00', startMinute: 1320, endMinute: 360, zone: 'UTC' };
const at = (h: number): string => new Date(Date.UTC(2025, 2, 1, h)).toISOString();
const backup = (createdAt: string, priority = 5): NewJob => ({
  kind: 'backup', hostId, volumes: ['data'], type: 'incremental', priority, origin: 'schedule:nightly', params: { window: WINDOW }, createdAt,
});

beforeEach(() => {
  t = new TempCatalog();
  hostId = t.catalog.repos.hosts.add('web-1', [], null, 'hash', at(0)).id;
});
afterEach(() => t.dispose());

describe('jobs repository', () => {
  it('queues a new job with its volumes and parameters as given', () => {
    const job = t.catalog.repos.jobs.insert(backup(at(1), 3));
    expect(job).toMatchObject({ kind: 'backup', hostId, volumes: ['data'], state: 'queued', priority: 3, params: { window: WINDOW }, startedAt: null, bytesWire: 0 });
    expect(t.catalog.repos.queue.queued()).toEqual([{ id: job.id, hostId, priority: 3, createdAt: at(1), window: JSON.stringify(WINDOW) }]);
  });

  it('records start, bytes and failure, and the job leaves the queue when it starts', () => {
    const jobs = t.catalog.repos.jobs;
    const { id } = jobs.insert(backup(at(1)));
    jobs.update(id, { state: 'running', startedAt: at(2) });
    expect(jobs.inState('queued')).toEqual([]);
    expect(jobs.inState('running').map((j) => j.id)).toEqual([id]);
    expect(t.catalog.repos.queue.queued()).toEqual([]);
    jobs.update(id, { state: 'failed', finishedAt: at(3), error: 'agent disconnected', bytesWire: 4096, bytesNew: 1024 });
    expect(t.reopen().repos.jobs.get(id)).toMatchObject({ state: 'failed', startedAt: at(2), finishedAt: at(3), error: 'agent disconnected', bytesWire: 4096, bytesNew: 1024 });
  });

  it('lists the most recent jobs oldest first, no more than asked', () => {
    const jobs = t.catalog.repos.jobs;
    const ids = [1, 2, 3, 4].map((h) => jobs.insert(backup(at(h))).id);
    expect(jobs.recent(3).map((j) => j.id)).toEqual(ids.slice(1));
  });

  it('counts the backups that succeeded and failed since a time, not earlier ones or restores', () => {
    const jobs = t.catalog.repos.jobs;
    const finish = (state: 'succeeded' | 'failed', h: number, kind: NewJob['kind'] = 'backup'): void =>
      jobs.update(jobs.insert({ ...backup(at(0)), kind }).id, { state, finishedAt: at(h) });
    finish('succeeded', 1);
    finish('failed', 5);
    finish('succeeded', 6);
    finish('succeeded', 7);
    finish('failed', 8, 'restore');
    expect(jobs.backupCounts(at(5))).toEqual({ succeeded: 2, failed: 1 });
    expect(jobs.backupCounts(at(9))).toEqual({ succeeded: 0, failed: 0 });
  });
});
