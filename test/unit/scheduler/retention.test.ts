// GFS retention selection with an injected clock: which rule keeps each kept point.
import { describe, expect, it } from 'vitest';
import type { RetentionConfig } from '../../../src/config/types.js';
import { combineDecisions, isoWeek, selectRetention, type RetentionPoint } from '../../../src/scheduler/retention.js';

const policy = (o: Partial<RetentionConfig>): RetentionConfig => ({ keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: null, ...o });
const at = (iso: string) => Date.parse(iso);
const NOW = at('2025-06-12T12:00:00Z');

/** One point a day at 02:00 UTC from Wednesday 2025-06-04 to Thursday 2025-06-12, ids 1..9. */
const daily: RetentionPoint[] = Array.from({ length: 9 }, (_, i) => ({ id: i + 1, time: at(`2025-06-${String(4 + i).padStart(2, '0')}T02:00:00Z`) }));

const kept = (ds: { id: number; keep: boolean }[]) => ds.filter((d) => d.keep).map((d) => d.id);

describe('GFS retention', () => {
  it('keeps the newest point of the three newest days and of the two newest ISO weeks for daily 3 / weekly 2', () => {
    const ds = selectRetention(daily, policy({ daily: 3, weekly: 2 }), NOW);
    // days 10, 11, 12 June; weeks 2025-W24 (newest: 12 June) and 2025-W23 (newest: Sunday 8 June)
    expect(kept(ds)).toEqual([5, 7, 8, 9]);
    const why = new Map(ds.map((d) => [d.id, d.reasons]));
    expect(why.get(9)).toEqual(['newest', 'daily 2025-06-12', 'weekly 2025-W24']);
    expect(why.get(5)).toEqual(['weekly 2025-W23']);
    expect(why.get(1)).toEqual(['kept by no rule of daily 3, weekly 2']);
  });

  it('keeps only the newest point of a day with several', () => {
    const pts = [...daily, { id: 10, time: at('2025-06-12T09:00:00Z') }];
    const ds = selectRetention(pts, policy({ daily: 1 }), NOW);
    expect(kept(ds)).toEqual([10]);
  });

  it('counts days that have points, so missed backups do not make it delete more', () => {
    const sparse = [daily[0]!, daily[4]!, daily[8]!];
    expect(kept(selectRetention(sparse, policy({ daily: 3 }), NOW))).toEqual([1, 5, 9]);
  });

  it('keeps the last N points by keep_last whatever their age', () => {
    const ds = selectRetention(daily, policy({ keepLast: 2 }), NOW);
    expect(kept(ds)).toEqual([8, 9]);
    expect(ds.find((d) => d.id === 8)!.reasons).toEqual(['last 2']);
  });

  it('keeps monthly and yearly points', () => {
    const pts = [
      { id: 1, time: at('2023-12-31T10:00:00Z') },
      { id: 2, time: at('2024-11-30T10:00:00Z') },
      { id: 3, time: at('2025-04-30T10:00:00Z') },
      { id: 4, time: at('2025-05-01T10:00:00Z') },
      { id: 5, time: at('2025-05-31T10:00:00Z') },
    ];
    const ds = selectRetention(pts, policy({ monthly: 2, yearly: 3 }), NOW);
    expect(kept(ds)).toEqual([1, 2, 3, 5]);
    expect(ds.find((d) => d.id === 2)!.reasons).toEqual(['yearly 2024']);
  });

  it('keeps the newest point and points newer than now even when no rule does', () => {
    const pts = [{ id: 1, time: at('2025-06-01T00:00:00Z') }, { id: 2, time: at('2025-06-13T00:00:00Z') }];
    const ds = selectRetention(pts, policy({ monthly: 0, yearly: 0, keepLast: 0, daily: 0 }), NOW);
    expect(ds.find((d) => d.id === 2)!.reasons).toEqual(['newest', 'newer than now']);
    expect(ds.find((d) => d.id === 1)!.keep).toBe(false);
  });

  it('takes day boundaries in the given zone', () => {
    const pts = [{ id: 1, time: at('2025-06-10T21:30:00Z') }, { id: 2, time: at('2025-06-10T22:30:00Z') }];
    // 23:30 and 00:30 in Berlin: two days there, one day in UTC
    expect(kept(selectRetention(pts, policy({ daily: 2 }), NOW, 'Europe/Berlin'))).toEqual([1, 2]);
    expect(kept(selectRetention(pts, policy({ daily: 2 }), NOW, 'UTC'))).toEqual([2]);
  });

  it('numbers ISO weeks across a year boundary', () => {
    expect(isoWeek(2024, 12, 30)).toBe('2025-W01');
    expect(isoWeek(2021, 1, 3)).toBe('2020-W53');
  });

  it('keeps a point when any of several policies keeps it, naming the policy', () => {
    const a = selectRetention(daily, policy({ keepLast: 1 }), NOW);
    const b = selectRetention(daily, policy({ weekly: 2 }), NOW);
    const both = combineDecisions([{ policy: 'nightly', decisions: a }, { policy: 'weekly', decisions: b }]);
    expect(kept(both).sort((x, y) => x - y)).toEqual([5, 9]);
    expect(both.find((d) => d.id === 5)!.reasons).toEqual(['weekly: weekly 2025-W23']);
  });
});
