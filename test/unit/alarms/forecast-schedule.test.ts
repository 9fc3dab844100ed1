// The RPO forecast counts on the next scheduled (or queued) backup: a healthy host on a
// one-minute schedule never raises it, while one whose next run would land too late, or
// that has no run planned, still does.
import { describe, expect, it } from 'vitest';
import { AlarmEvaluator } from '../../../src/alarms/evaluator.js';
import type { HostFacts } from '../../../src/alarms/types.js';
import { facts, host, metricRule, S, T0 } from './fixtures.js';

const MiB = 1024 * 1024;
/** A host (RPO 90 s) backed up every `every` s, each backup taking `takes` s and committing then. */
function scheduled(t: number, takes: number, o: { planned?: boolean; every?: number } = {}): HostFacts {
  const EVERY = o.every ?? 60;
  const planned = o.planned ?? true;
  const sinceRun = ((t - T0) / 1000) % EVERY;
  const runStart = t - sinceRun * 1000;
  const running = sinceRun < takes;
  const lastPointAt = running ? runStart - (EVERY - takes) * 1000 : runStart + takes * 1000;
  return host({
    rpoSeconds: 90,
    lastPointAt,
    backlogBytes: MiB,
    bandwidthBps: 10 * MiB,
    changeRateBps: 10 * 1024,
    nextRunAt: planned ? (running ? runStart : runStart + EVERY * 1000) : null,
    expectedRunSeconds: takes,
  });
}

function firings(f: (t: number) => HostFacts): number {
  const ev = new AlarmEvaluator([metricRule({ name: 'forecast', metric: 'rpo_forecast' })]);
  let n = 0;
  let was = false;
  for (let t = T0 + 120 * S; t <= T0 + 720 * S; t += S) {
    const active = ev.evaluate(t, facts(f(t))).some((s) => s.rule === 'forecast' && s.active);
    if (active && !was) n++;
    was = active;
  }
  return n;
}

describe('RPO forecast with a schedule', () => {
  it('raises no forecast alarm for a healthy host on a one-minute schedule', () => {
    expect(firings((t) => scheduled(t, 4))).toBe(0);
    expect(firings((t) => scheduled(t, 45))).toBe(0);
  });

  it('still warns when no backup is planned (the same host, its schedule gone)', () => {
    expect(firings((t) => scheduled(t, 4, { planned: false }))).toBeGreaterThan(0);
  });

  it('still warns when the next run would commit after the breach (every 2 min for a 90 s RPO)', () => {
    expect(firings((t) => scheduled(t, 4, { every: 120 }))).toBeGreaterThan(0);
  });
});
