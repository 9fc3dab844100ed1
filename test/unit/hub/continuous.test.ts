// Continuous replication over fake ports and a hand-moved clock: cycles back to back, never
// two at once, at most every min_interval; refused (once, with one event) for a host whose
// volume the scan tracker reads; nothing for hosts away, failed over or not continuous; the
// host's points thinned after each committed cycle, not while one runs.
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRow } from '../../../src/catalog/catalog.js';
import { ContinuousReplication, type ContinuousHost } from '../../../src/hub/continuous.js';
import type { JobRunner } from '../../../src/hub/jobs.js';
import { LiveState } from '../../../src/hub/live.js';
import { ManualClock, RecordingJournal, tempCatalog } from './fake-ports.js';

const T0 = '2026-03-01T12:00:00.000Z';

function setup(hosts: ContinuousHost[], trackers: Record<string, string> = { disk: 'qemu-dirty-bitmap' }, thin?: (host: string) => void) {
  const clock = new ManualClock(Date.parse(T0));
  const cat = tempCatalog(['db-01', 'web-01'], T0);
  const live = new LiveState();
  for (const h of ['db-01', 'web-01']) {
    live.host(h).link = 'connected';
    live.host(h).trackers = new Map(Object.entries(trackers));
  }
  const journal = new RecordingJournal(clock);
  const queued: JobRow[] = [];
  const jobs = {
    enqueue: (j: Parameters<JobRunner['enqueue']>[0]) => {
      const row = cat.catalog.insertJob({ ...j, createdAt: clock.iso() });
      queued.push(row);
      return row;
    },
  };
  const cr = new ContinuousReplication({ clock, catalog: cat.catalog, live, jobs, journal, thin }, hosts);
  const finish = (row: JobRow) => cat.catalog.updateJob(row.id, { state: 'succeeded', finishedAt: clock.iso() });
  return { clock, cat, live, journal, queued, cr, finish };
}

let close: () => void = () => undefined;
afterEach(() => close());

describe('continuous replication', () => {
  it('queues the next cycle only when the previous one ended, and at most every min_interval', () => {
    const s = setup([{ name: 'db-01', rpoSeconds: 30, minIntervalSeconds: 5 }]);
    close = s.cat.close;
    s.cr.tick();
    expect(s.queued.map((j) => [j.type, j.origin])).toEqual([['incremental', 'continuous']]);
    s.clock.t += 10_000;
    s.cr.tick(); // still running: no second cycle
    expect(s.queued).toHaveLength(1);
    s.finish(s.queued[0]!);
    s.cr.tick(); // ended, and 10 s since the start: the next starts at once
    expect(s.queued).toHaveLength(2);
    s.clock.t += 1_000;
    s.finish(s.queued[1]!);
    s.cr.tick(); // ended after 1 s: waits for min_interval
    expect(s.queued).toHaveLength(2);
    s.clock.t += 4_000;
    s.cr.tick();
    expect(s.queued).toHaveLength(3);
  });

  it("keeps the host's target RPO, running cycle and next cycle on its live state (the view, the rpo alarm and the forecast read them)", () => {
    const s = setup([{ name: 'db-01', rpoSeconds: 30, minIntervalSeconds: 5 }]);
    close = s.cat.close;
    expect(s.live.host('db-01').continuous).toMatchObject({ rpoSeconds: 30, minIntervalSeconds: 5 });
    expect(s.live.host('web-01').continuous).toBeNull();
    const t0 = s.clock.t;
    s.cr.tick();
    expect(s.live.host('db-01').continuous).toMatchObject({ cycleStartedAt: t0, nextCycleAt: t0 });
    s.clock.t += 1_000;
    s.finish(s.queued[0]!);
    s.cr.tick(); // ended after 1 s: the next cycle is due at min_interval after the last start
    expect(s.live.host('db-01').continuous).toMatchObject({ cycleStartedAt: null, nextCycleAt: t0 + 5_000 });
  });

  it('refuses a host whose agent tracks a volume with scan, with one event naming the volume', () => {
    const s = setup([{ name: 'db-01', rpoSeconds: 30, minIntervalSeconds: 5 }], { disk: 'scan' });
    close = s.cat.close;
    s.cr.tick();
    s.clock.t += 10_000;
    s.cr.tick();
    expect(s.queued).toHaveLength(0);
    expect(s.journal.events.map((e) => [e.kind, e.host])).toEqual([['continuous.refused', 'db-01']]);
    expect(s.journal.events[0]!.message).toMatch(/volume disk uses the scan tracker/);
  });

  it('leaves alone hosts that are not continuous, not connected or failed over', () => {
    const s = setup([{ name: 'db-01', rpoSeconds: null, minIntervalSeconds: 5 }, { name: 'web-01', rpoSeconds: null, minIntervalSeconds: 5 }]);
    close = s.cat.close;
    s.live.host('db-01').link = 'disconnected';
    s.cat.catalog.setHostFailedOver(s.cat.ids.get('web-01')!, true);
    s.cr.tick();
    expect(s.queued).toHaveLength(0);
  });

  it('thins the host right after each committed cycle, once per new point and never while a cycle runs', () => {
    const thinned: string[] = [];
    const s = setup([{ name: 'db-01', rpoSeconds: 30, minIntervalSeconds: 5 }], undefined, (h) => thinned.push(h));
    close = s.cat.close;
    const vol = s.cat.catalog.upsertVolume(s.cat.ids.get('db-01')!, 'disk', '/dev/vda', 65536, 65536);
    const commit = (job: JobRow) => {
      s.cat.catalog.insertPoint({ volumeId: vol.id, jobId: job.id, time: s.clock.iso(), type: 'incremental', parentId: null, size: 65536, blockSize: 65536, blockCount: 1, changedBlocks: 1, bytesNew: 1, merkleRoot: 'r' }, Buffer.alloc(0));
      s.finish(job);
    };
    s.cr.tick();
    expect(thinned).toEqual([]);
    s.clock.t += 5_000;
    commit(s.queued[0]!);
    s.cr.tick();
    expect(thinned).toEqual(['db-01']);
    s.cr.tick(); // a cycle runs again: nothing to thin while it does
    s.clock.t += 5_000;
    s.finish(s.queued[1]!); // ended without a point: nothing new to thin
    s.cr.tick();
    expect(thinned).toEqual(['db-01']);
    s.clock.t += 5_000;
    commit(s.queued[2]!);
    s.cr.tick();
    expect(thinned).toEqual(['db-01', 'db-01']);
  });
});
