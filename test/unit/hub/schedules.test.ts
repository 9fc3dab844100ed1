// The hub's scheduler over fake ports and an injected clock: due schedules queue one job per
// targeted host, a pending run is not piled on, downtime is caught up once, jobs told to stop
// with their window are cancelled when it closes, and "run now" ignores the window.
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRow } from '../../../src/catalog/catalog.js';
import { ScheduleStore } from '../../../src/catalog/schedule-store.js';
import type { ScheduleConfig } from '../../../src/config/types.js';
import { LiveState } from '../../../src/hub/live.js';
import { HubScheduler } from '../../../src/hub/schedules.js';
import { jobView } from '../../../src/hub/wire.js';
import { ManualClock, RecordingJournal, tempCatalog } from './fake-ports.js';

const T0 = '2026-01-05T10:30:00.000Z';

const hourly: ScheduleConfig = {
  name: 'hourly',
  cron: '0 * * * *',
  timezone: 'UTC',
  priority: 30,
  targets: ['web-*'],
  type: 'incremental',
  window: null,
  stopAtWindowEnd: false,
  retention: null,
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function setup(schedules: ScheduleConfig[]) {
  const db = tempCatalog(['web-1', 'web-2', 'db-1'], T0);
  cleanups.push(db.close);
  const clock = new ManualClock(Date.parse(T0));
  const journal = new RecordingJournal(clock);
  const cancelled: { id: number; reason: string }[] = [];
  let pumps = 0;
  const live = new LiveState();
  const state = new ScheduleStore(db.catalog.db);
  const jobs = {
    enqueue: (j: Pick<JobRow, 'kind' | 'hostId' | 'volumes' | 'type' | 'priority' | 'origin' | 'params'>) => db.catalog.insertJob({ ...j, createdAt: clock.iso() }),
    cancel: (id: number, reason = 'cancelled by operator') => {
      cancelled.push({ id, reason });
      db.catalog.updateJob(id, { state: 'cancelled', error: reason });
      return db.catalog.job(id)!;
    },
    pump: () => void pumps++,
    view: (j: JobRow) => jobView(db.catalog, live, j, null),
  };
  const make = () => new HubScheduler({ clock, catalog: db.catalog, state, jobs, journal, agingSeconds: 60 }, schedules);
  const scheduler = make();
  scheduler.start();
  const queued = () => db.catalog.jobsInState('queued').map((j) => ({ host: db.catalog.hostById(j.hostId)!.name, priority: j.priority, origin: j.origin, params: j.params }));
  return { ...db, clock, journal, cancelled, scheduler, make, queued, pumps: () => pumps };
}

describe('hub scheduler', () => {
  it('queues one job per targeted host when a schedule comes due, and nothing before', () => {
    const h = setup([hourly]);
    h.clock.set('2026-01-05T10:59:59.000Z');
    h.scheduler.tick();
    expect(h.queued()).toEqual([]);
    h.clock.set('2026-01-05T11:00:00.000Z');
    h.scheduler.tick();
    expect(h.queued()).toEqual([
      { host: 'web-1', priority: 30, origin: 'schedule:hourly', params: { schedule: 'hourly', window: null, stopAtWindowEnd: false } },
      { host: 'web-2', priority: 30, origin: 'schedule:hourly', params: { schedule: 'hourly', window: null, stopAtWindowEnd: false } },
    ]);
    expect(h.journal.events.at(-1)).toMatchObject({ kind: 'schedule.fired', message: 'schedule hourly: 2 job(s) queued' });
    expect(h.pumps()).toBeGreaterThan(0);
  });

  it('does not pile up: a host whose last run is still pending is skipped', () => {
    const h = setup([hourly]);
    h.clock.set('2026-01-05T11:00:00.000Z');
    h.scheduler.tick();
    const [first] = h.catalog.jobsInState('queued');
    h.catalog.updateJob(first!.id, { state: 'succeeded', finishedAt: h.clock.iso() });
    h.clock.set('2026-01-05T12:00:00.000Z');
    h.scheduler.tick();
    expect(h.queued().map((j) => j.host).sort()).toEqual(['web-1', 'web-2']);
    expect(h.journal.events.at(-1)!.message).toBe('schedule hourly: 1 job(s) queued; still pending on web-2');
  });

  it('catches up once after downtime, counting the runs it missed', () => {
    const h = setup([hourly]);
    // the hub was down from 10:30 to 15:10: the runs of 11, 12, 13, 14 and 15 o'clock were missed
    h.clock.set('2026-01-05T15:10:00.000Z');
    const restarted = h.make();
    restarted.start();
    restarted.tick();
    restarted.tick();
    expect(h.queued().map((j) => j.host)).toEqual(['web-1', 'web-2']);
    const fired = h.journal.events.filter((e) => e.kind === 'schedule.fired');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.data).toMatchObject({ missed: 4 });
    expect(fired[0]!.message).toContain('catch-up of the run due 2026-01-05T11:00:00.000Z, 4 more missed');
  });

  it('stops a running job told to end with its window once the window closes', () => {
    const windowed: ScheduleConfig = { ...hourly, name: 'night', window: { text: '22:00-06:00', startMinute: 22 * 60, endMinute: 6 * 60 }, stopAtWindowEnd: true };
    const h = setup([windowed]);
    h.clock.set('2026-01-05T23:00:00.000Z');
    h.scheduler.tick();
    const ids = h.catalog.jobsInState('queued').map((j) => j.id);
    for (const id of ids) h.catalog.updateJob(id, { state: 'running', startedAt: h.clock.iso() });
    h.clock.set('2026-01-06T05:59:00.000Z');
    h.scheduler.tick();
    expect(h.cancelled).toEqual([]);
    h.clock.set('2026-01-06T06:00:30.000Z');
    h.scheduler.tick();
    expect(h.cancelled.map((c) => c.id).sort()).toEqual(ids.sort());
    expect(h.cancelled[0]!.reason).toBe('stopped: window 22:00-06:00 (UTC) closed before the job finished');
  });

  it('runs a schedule now without its window, audited, and refuses an unknown name', () => {
    const windowed: ScheduleConfig = { ...hourly, window: { text: '22:00-06:00', startMinute: 22 * 60, endMinute: 6 * 60 } };
    const h = setup([windowed]);
    const views = h.scheduler.runNow('hourly', 'operator:ann');
    expect(views.map((v) => v.host)).toEqual(['web-1', 'web-2']);
    expect(h.queued().every((j) => j.params.window === null)).toBe(true);
    expect(h.journal.audits).toEqual([{ actor: 'operator:ann', action: 'schedules.run', target: 'hourly', outcome: 'queued' }]);
    expect(() => h.scheduler.runNow('nope', 'operator:ann')).toThrow('no schedule named nope (defined: hourly)');
  });

  it('lists the next runs and the open window from the injected clock', () => {
    const windowed: ScheduleConfig = { ...hourly, window: { text: '22:00-06:00', startMinute: 22 * 60, endMinute: 6 * 60 } };
    const h = setup([windowed]);
    const [v] = h.scheduler.views();
    expect(v!.next).toBe('2026-01-05T11:00:00.000Z');
    expect(v!.nextRuns).toHaveLength(5);
    expect(v!.window).toMatchObject({ open: false, opensAt: '2026-01-05T22:00:00.000Z', opensInSeconds: 41400 });
  });
});
