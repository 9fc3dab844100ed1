// The job queue with an injected clock: priorities with aging, global and per-host
// concurrency limits, and windows.
import { describe, expect, it } from 'vitest';
import { planStarts, type QueueJob, type QueueLimits } from '../../../src/scheduler/queue.js';

const T0 = Date.parse('2025-06-03T12:00:00Z');
const MIN = 60_000;
const job = (id: number, host: string, priority = 5, enqueuedAt = T0, window: QueueJob['window'] = null): QueueJob => ({ id, host, priority, enqueuedAt, window });
const limits = (o: Partial<QueueLimits> = {}): QueueLimits => ({ global: 4, perHost: 1, agingSeconds: 60, ...o });

describe('concurrency limits', () => {
  it('starts no more jobs than the global limit and says why the rest wait', () => {
    const queued = Array.from({ length: 10 }, (_, i) => job(i + 1, `h${i}`));
    const plan = planStarts(queued, [{ host: 'busy' }], limits({ global: 3 }), T0);
    expect(plan.start.map((j) => j.id)).toEqual([1, 2]);
    expect(plan.waiting.get(3)).toBe('waiting: concurrency limit 3 reached');
    expect(plan.waiting.size).toBe(8);
  });

  it('gives a host already running a job no second one at once', () => {
    const plan = planStarts([job(1, 'a'), job(2, 'a'), job(3, 'b')], [{ host: 'b' }], limits(), T0);
    expect(plan.start.map((j) => j.id)).toEqual([1]);
    expect(plan.waiting.get(2)).toBe('waiting: host a is busy with another job');
    expect(plan.waiting.get(3)).toBe('waiting: host b is busy with another job');
  });

  it('lets a lower-priority job on a free host pass a higher one on a busy host', () => {
    const plan = planStarts([job(1, 'a', 9), job(2, 'b', 1)], [{ host: 'a' }], limits(), T0);
    expect(plan.start.map((j) => j.id)).toEqual([2]);
  });

  it('honours a per-host limit above one', () => {
    const plan = planStarts([job(1, 'a'), job(2, 'a'), job(3, 'a')], [], limits({ perHost: 2 }), T0);
    expect(plan.start.map((j) => j.id)).toEqual([1, 2]);
    expect(plan.waiting.get(3)).toBe('waiting: host a runs 2 jobs (limit 2)');
  });

  it("adds the caller's own blocking reasons", () => {
    const plan = planStarts([job(1, 'a'), job(2, 'b')], [], limits(), T0, (j) => (j.host === 'a' ? 'waiting: agent of a is not connected' : null));
    expect(plan.start.map((j) => j.id)).toEqual([2]);
    expect(plan.waiting.get(1)).toBe('waiting: agent of a is not connected');
  });
});

describe('windows in the queue', () => {
  const night = { text: '22:00-06:00', startMinute: 22 * 60, endMinute: 6 * 60, zone: 'UTC' };

  it('keeps a job waiting while its window is closed, says so, and uses no slot', () => {
    const plan = planStarts([job(1, 'a', 9, T0, night), job(2, 'b', 1)], [], limits({ global: 1 }), T0);
    expect(plan.start.map((j) => j.id)).toEqual([2]);
    expect(plan.waiting.get(1)).toBe('waiting: window 22:00-06:00 (UTC) is closed');
  });

  it('starts the job once the window opens, after midnight too', () => {
    expect(planStarts([job(1, 'a', 5, T0, night)], [], limits(), Date.parse('2025-06-03T22:00:00Z')).start).toHaveLength(1);
    expect(planStarts([job(1, 'a', 5, T0, night)], [], limits(), Date.parse('2025-06-04T03:00:00Z')).start).toHaveLength(1);
  });
});

describe('priority with aging', () => {
  it('starts the higher priority first, and the older of equal priorities', () => {
    const plan = planStarts([job(1, 'a', 1), job(2, 'b', 10), job(3, 'c', 10, T0 - 1000)], [], limits({ global: 2 }), T0);
    expect(plan.start.map((j) => j.id)).toEqual([3, 2]);
  });

  /**
   * One slot, every job runs one minute, a priority-10 job arrives every minute and five
   * are queued already: the queue of priority 10 never drains. Stated bound: a job of
   * priority p under priority P waits at most (P - p) * agingSeconds plus the run time of
   * the jobs queued before that moment: (10 - 1) * 60 s + (5 + 9) * 60 s = 23 minutes.
   */
  function simulate(agingSeconds: number, minutes: number): number | null {
    const queued: QueueJob[] = Array.from({ length: 5 }, (_, i) => job(100 + i, `hi-${i}`, 10));
    queued.push(job(1, 'lo', 1));
    let nextId = 200;
    for (let m = 0; m < minutes; m++) {
      const now = T0 + m * MIN;
      if (m > 0) queued.push(job(nextId++, `hi-${nextId}`, 10, now));
      const { start } = planStarts(queued, [], limits({ global: 1, agingSeconds }), now);
      expect(start).toHaveLength(1);
      if (start[0]!.id === 1) return m;
      queued.splice(queued.indexOf(start[0]!), 1);
    }
    return null;
  }

  it('runs a priority-1 job under a stream of priority-10 jobs within the stated bound', () => {
    const startedAfter = simulate(60, 24 * 60);
    expect(startedAfter).not.toBeNull();
    expect(startedAfter!).toBeGreaterThanOrEqual(9); // it did wait for higher priorities first
    expect(startedAfter!).toBeLessThanOrEqual(23);
  });

  it('starves the priority-1 job for a whole day without aging', () => {
    expect(simulate(Number.POSITIVE_INFINITY, 24 * 60)).toBeNull();
  });
});
