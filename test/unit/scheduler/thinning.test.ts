// Thinning of continuous points with an injected clock: every point of the last 10 minutes,
// the newest of each hour for a day, nothing beyond (left to GFS), and a catalog that stops
// growing however long the cycles run.
import { describe, expect, it } from 'vitest';
import { combineDecisions, selectRetention } from '../../../src/scheduler/retention.js';
import { CONTINUOUS_THINNING, selectThinning } from '../../../src/scheduler/thinning.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
/** a point every `every` seconds for `hours`, oldest first, the newest at NOW */
function cycles(hours: number, every = 5): { id: number; time: number }[] {
  const n = Math.floor((hours * 3600) / every);
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, time: NOW - (n - 1 - i) * every * 1000 }));
}
const kept = (d: { keep: boolean }[]) => d.filter((x) => x.keep).length;

describe('thinning of continuous points', () => {
  it('keeps every point of the last 10 minutes and the newest of each hour up to a day', () => {
    const points = cycles(6);
    const d = selectThinning(points, CONTINUOUS_THINNING, NOW);
    const byId = new Map(d.map((x) => [x.id, x]));
    const recent = points.filter((p) => NOW - p.time <= 600_000);
    expect(recent.every((p) => byId.get(p.id)!.keep)).toBe(true);
    // the 6 hours' slots, one point each (the window's edge slot may add one)
    expect(kept(d) - recent.length).toBeGreaterThanOrEqual(5);
    expect(kept(d) - recent.length).toBeLessThanOrEqual(7);
    const older = points.filter((p) => NOW - p.time > 600_000 && byId.get(p.id)!.keep);
    for (const p of older) expect(older.filter((q) => Math.floor(q.time / 3600_000) === Math.floor(p.time / 3600_000))).toHaveLength(1);
    expect(byId.get(points[0]!.id)!.reasons[0]).toMatch(/kept by no rule of thinning/);
  });

  it('leaves points older than a day to the GFS rules: with daily 7 one point per older day stays', () => {
    const points = cycles(72, 60);
    const combined = combineDecisions([
      { policy: 'global', decisions: selectRetention(points, { keepLast: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: null }, NOW) },
      { policy: 'continuous', decisions: selectThinning(points, CONTINUOUS_THINNING, NOW) },
    ]);
    const byId = new Map(combined.map((x) => [x.id, x]));
    const beyondDay = points.filter((p) => NOW - p.time > 86_400_000 && byId.get(p.id)!.keep);
    expect(beyondDay.length).toBeGreaterThanOrEqual(2);
    expect(beyondDay.length).toBeLessThanOrEqual(3);
    expect(byId.get(points.at(-1)!.id)!.keep).toBe(true);
  });

  it('bounds the catalog: a week of 5-second cycles keeps fewer points than one day of them holds', () => {
    const week = selectThinning(cycles(24 * 7), CONTINUOUS_THINNING, NOW);
    // 120 in the last 10 minutes + the day's hourly slots: an hourly schedule's 24 plus the recent cycles
    expect(kept(week)).toBeLessThanOrEqual(121 + 25);
    expect(kept(week)).toBeGreaterThanOrEqual(121 + 23);
  });
});
