import { describe, expect, it } from 'vitest';
import { ALARM_LIMIT, EMPTY_STATE, METRIC_SAMPLES, applyUpdate } from '../../src/tui/store.js';
import { snapshot } from './fixtures.js';
import { GOOD_LINK, alarm, alarms, metrics, run, schedules } from './fixtures-ops.js';

const synced = () => applyUpdate(EMPTY_STATE, { type: 'snapshot', snapshot: { ...snapshot(), alarms: alarms() } });

describe('store: alarms, metrics, schedules, runs', () => {
  it('takes alarms from the snapshot and replaces one when its update arrives', () => {
    const s = synced();
    expect(s.alarms.map((a) => a.id)).toEqual([1, 2, 3, 4]);
    const acked = alarm(1, { state: 'acknowledged', ackedAt: '2025-03-14T12:01:00.000Z' });
    const next = applyUpdate(s, { type: 'alarm', alarm: acked });
    expect(next.alarms.find((a) => a.id === 1)?.state).toBe('acknowledged');
    expect(next.alarms).toHaveLength(4);
  });

  it('keeps its alarms over a snapshot without any, and merges alarms.list without undoing a newer update', () => {
    const s = applyUpdate(synced(), { type: 'alarm', alarm: alarm(1, { state: 'resolved', resolvedAt: '2025-03-14T12:05:00.000Z' }) });
    const again = applyUpdate(s, { type: 'snapshot', snapshot: snapshot() });
    expect(again.alarms).toHaveLength(4);
    const listed = applyUpdate(again, { type: 'alarms.list', alarms: [alarm(1), alarm(9)] });
    expect(listed.alarms.find((a) => a.id === 1)?.state).toBe('resolved');
    expect(listed.alarms.map((a) => a.id)).toContain(9);
  });

  it('never drops an open alarm when over the limit, only the oldest resolved ones', () => {
    const many = Array.from({ length: ALARM_LIMIT + 10 }, (_, i) => alarm(i + 1, { state: i < 5 ? 'firing' : 'resolved' }));
    const s = applyUpdate(EMPTY_STATE, { type: 'alarms.list', alarms: many });
    expect(s.alarms).toHaveLength(ALARM_LIMIT);
    expect(s.alarms.filter((a) => a.state === 'firing')).toHaveLength(5);
    expect(s.alarms.some((a) => a.id === 6)).toBe(false);
  });

  it('keeps a bounded cpu/memory/disk history per host from metrics updates', () => {
    let s = synced();
    for (let i = 0; i < METRIC_SAMPLES + 5; i++) {
      s = applyUpdate(s, { type: 'metrics', host: 'web-01', metrics: metrics(i, { time: new Date(i * 1000).toISOString() }), link: GOOD_LINK });
    }
    const m = s.metrics['web-01']!;
    expect(m.cpu).toHaveLength(METRIC_SAMPLES);
    expect(m.cpu[m.cpu.length - 1]).toBe(METRIC_SAMPLES + 4);
    expect(m.disk[0]).toBe(70);
    expect(m.latest.cpu).toBe(METRIC_SAMPLES + 4);
  });

  it('fills the sparklines of a newly watched host from the metric history, and keeps the longer of the two', () => {
    let s = synced();
    const history = { type: 'metrics.history' as const, host: 'web-01', cpu: [1, 2, 3], memory: [40, 41, 42], disk: [70, 71, 72] };
    // no sample of the host yet: nothing to attach the history to
    expect(applyUpdate(s, history)).toBe(s);
    s = applyUpdate(s, { type: 'metrics', host: 'web-01', metrics: metrics(3), link: GOOD_LINK });
    s = applyUpdate(s, history);
    expect(s.metrics['web-01']).toMatchObject({ cpu: [1, 2, 3], memory: [40, 41, 42], disk: [70, 71, 72] });
    expect(s.metrics['web-01']!.latest.cpu).toBe(3);
    // live samples go on from there; an older, shorter history changes nothing
    s = applyUpdate(s, { type: 'metrics', host: 'web-01', metrics: metrics(4, { time: new Date(9_000).toISOString() }), link: GOOD_LINK });
    expect(s.metrics['web-01']!.cpu).toEqual([1, 2, 3, 4]);
    expect(applyUpdate(s, history)).toBe(s);
    // a history longer than the sparkline keeps its newest METRIC_SAMPLES
    const long = Array.from({ length: METRIC_SAMPLES + 10 }, (_, i) => i);
    s = applyUpdate(s, { ...history, cpu: long });
    expect(s.metrics['web-01']!.cpu).toEqual(long.slice(-METRIC_SAMPLES));
  });

  it('keeps runs, schedules and metrics across a new snapshot', () => {
    let s = applyUpdate(synced(), { type: 'run', run: run(1) });
    s = applyUpdate(s, { type: 'run', run: run(1, { state: 'completed' }) });
    s = applyUpdate(s, { type: 'schedules', schedules: schedules() });
    s = applyUpdate(s, { type: 'metrics', host: 'web-01', metrics: metrics(5), link: GOOD_LINK });
    const again = applyUpdate(s, { type: 'snapshot', snapshot: snapshot() });
    expect(again.runs).toEqual([run(1, { state: 'completed' })]);
    expect(again.schedules).toHaveLength(2);
    expect(again.metrics['web-01']?.cpu).toEqual([5]);
  });
});
