// When schedules fire, with an injected clock: on time, after downtime (once), never for
// runs before the hub knew the schedule.
import { describe, expect, it } from 'vitest';
import { SchedulePlanner, type ScheduleRunState } from '../../../src/scheduler/planner.js';

const at = (iso: string) => Date.parse(iso);
const nightly = { name: 'nightly', cron: '0 2 * * *', timezone: 'America/New_York' };
const state = (s: ScheduleRunState) => () => s;

describe('schedule planner', () => {
  it('fires a schedule once at its time and then not again until the next day', () => {
    const p = new SchedulePlanner([nightly], () => undefined, at('2025-06-02T12:00:00Z'));
    expect(p.due(at('2025-06-03T05:59:59Z'))).toEqual([]);
    expect(p.due(at('2025-06-03T06:00:00Z'))).toEqual([{ name: 'nightly', dueAt: at('2025-06-03T06:00:00Z'), missed: 0 }]);
    expect(p.due(at('2025-06-03T06:00:01Z'))).toEqual([]);
    expect(p.nextDue('nightly')).toBe(at('2025-06-04T06:00:00Z'));
  });

  it('runs a schedule missed during three days of downtime once, not three times', () => {
    const p = new SchedulePlanner([nightly], state({ since: at('2025-06-01T00:00:00Z'), lastFiredAt: at('2025-06-02T06:00:05Z') }), at('2025-06-05T14:00:00Z'));
    const due = p.due(at('2025-06-05T14:00:00Z'));
    expect(due).toEqual([{ name: 'nightly', dueAt: at('2025-06-03T06:00:00Z'), missed: 2 }]);
    expect(p.due(at('2025-06-05T14:00:01Z'))).toEqual([]);
    expect(p.nextDue('nightly')).toBe(at('2025-06-06T06:00:00Z'));
  });

  it('owes a schedule that never fired the runs since the hub first saw it', () => {
    const p = new SchedulePlanner([nightly], state({ since: at('2025-06-02T12:00:00Z'), lastFiredAt: null }), at('2025-06-04T12:00:00Z'));
    expect(p.due(at('2025-06-04T12:00:00Z'))).toHaveLength(1);
  });

  it('does not fire a new schedule for times before it existed', () => {
    const p = new SchedulePlanner([nightly], () => undefined, at('2025-06-04T12:00:00Z'));
    expect(p.due(at('2025-06-04T12:00:00Z'))).toEqual([]);
  });

  it('lists upcoming runs starting with the pending one', () => {
    const p = new SchedulePlanner([nightly], () => undefined, at('2025-03-07T12:00:00Z'));
    expect(p.upcoming('nightly', 3).map((t) => new Date(t).toISOString())).toEqual([
      '2025-03-08T07:00:00.000Z',
      '2025-03-09T07:00:00.000Z', // 02:00 does not exist on 2025-03-09: 03:00 EDT
      '2025-03-10T06:00:00.000Z',
    ]);
  });
});
