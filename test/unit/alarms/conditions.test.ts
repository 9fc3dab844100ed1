// Metric rules on simulated time: RPO breach and forecast, failure rate, consecutive
// failures, dead-man, token and certificate expiry.
import { describe, expect, it } from 'vitest';
import { AlarmEvaluator } from '../../../src/alarms/evaluator.js';
import { rpoForecast } from '../../../src/alarms/forecast.js';
import type { HostFacts, TaskFact } from '../../../src/alarms/types.js';
import { facts, host, metricRule, MIN, S, T0 } from './fixtures.js';

const MiB = 1024 * 1024;
const task = (minutesAgo: number, ok: boolean): TaskFact => ({ finishedAt: T0 - minutesAgo * MIN, ok });

/** Step the clock by `stepMs` from `from` until `until`; the first time a signal of `rule` is active. */
function firstFiring(ev: AlarmEvaluator, rule: string, from: number, until: number, stepMs: number, f: (t: number) => HostFacts): number | null {
  for (let t = from; t <= until; t += stepMs) {
    if (ev.evaluate(t, facts(f(t))).some((s) => s.rule === rule && s.active)) return t;
  }
  return null;
}

describe('RPO forecast', () => {
  it('computes the latest start time from backlog, bandwidth and change rate', () => {
    const f = rpoForecast(T0, { rpoSeconds: 3600, lastPointAt: T0, createdAt: T0, backlogBytes: 1000 * MiB, bandwidthBps: MiB, changeRateBps: 0.25 * MiB });
    expect(f.secondsToBreach).toBe(3600);
    expect(f.catchUpSeconds).toBe(1000);
    expect(f.slackSeconds).toBeCloseTo((3600 - 1000) / 1.25);
  });

  it('fires the forecast rule before the RPO is breached, and the breach rule only after', () => {
    const rules = [metricRule({ name: 'forecast', metric: 'rpo_forecast' }), metricRule({ name: 'breach', metric: 'rpo' })];
    // 1 h RPO; 600 MiB backlog growing by 64 KiB/s over a 1 MiB/s link: ~11 min to catch up
    const at = (t: number): HostFacts => host({ lastPointAt: T0, backlogBytes: 600 * MiB + ((t - T0) / 1000) * 64 * 1024, bandwidthBps: MiB, changeRateBps: 64 * 1024 });
    const forecast = firstFiring(new AlarmEvaluator(rules), 'forecast', T0, T0 + 2 * 3600 * S, 10 * S, at);
    const breach = firstFiring(new AlarmEvaluator(rules), 'breach', T0, T0 + 2 * 3600 * S, 10 * S, at);
    expect(forecast).not.toBeNull();
    expect(breach).toBe(T0 + 3610 * S);
    expect(breach! - forecast!).toBeGreaterThan(10 * MIN);
  });

  it('fires the forecast at the lead time before the breach when nothing is pending', () => {
    const ev = new AlarmEvaluator([metricRule({ name: 'forecast', metric: 'rpo_forecast', threshold: 300 })]);
    const t = firstFiring(ev, 'forecast', T0, T0 + 3600 * S, S, () => host({ lastPointAt: T0 }));
    expect(t).toBe(T0 + (3600 - 299) * S);
  });

  it('says nothing about hosts without a tier', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'rpo' }), metricRule({ metric: 'rpo_forecast' })]);
    expect(ev.evaluate(T0 + 86_400 * S, facts(host({ rpoSeconds: null, tier: null })))).toEqual([]);
  });
});

describe('task rules', () => {
  it('fires the failure rate over its window and ignores older tasks', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'failure_rate', op: '>=', threshold: 0.5, window: 3600 })]);
    const tasks = [task(120, false), task(90, false), task(50, true), task(20, false)];
    const [s] = ev.evaluate(T0, facts(host({ tasks })));
    expect(s).toMatchObject({ active: true, value: 0.5, message: 'host web-01: 1 of 2 tasks failed in 1.0 h (50%)' });
    const [quiet] = ev.evaluate(T0, facts(host({ tasks: tasks.slice(0, 3) })));
    expect(quiet).toMatchObject({ active: false, value: 0 });
  });

  it('counts consecutive failures from the newest task back', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'consecutive_failures', op: '>=', threshold: 3 })]);
    const two = [task(50, false), task(40, true), task(30, false), task(20, false)];
    expect(ev.evaluate(T0, facts(host({ tasks: two })))[0]).toMatchObject({ active: false, value: 2 });
    expect(ev.evaluate(T0, facts(host({ tasks: [...two, task(10, false)] })))[0]).toMatchObject({ active: true, value: 3 });
  });

  it('fires the dead-man when no successful backup arrived within its window', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'dead_man', window: 6 * 3600 })]);
    expect(ev.evaluate(T0 + 6 * 3600 * S, facts(host({ lastSuccessAt: T0 })))[0]).toMatchObject({ active: false });
    expect(ev.evaluate(T0 + 6 * 3600 * S + S, facts(host({ lastSuccessAt: T0 })))[0]).toMatchObject({ active: true });
    const fresh = new AlarmEvaluator([metricRule({ metric: 'dead_man', window: 6 * 3600 })]);
    expect(fresh.evaluate(T0, facts(host({ lastSuccessAt: null, createdAt: T0 - 7 * 3600 * S })))[0]?.message).toMatch(/no successful backup since the host was added/);
  });
});

describe('expiry rules', () => {
  it('warns a window ahead of a token expiry', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'token_expiry', window: 7 * 86_400 })]);
    expect(ev.evaluate(T0, facts(host({ tokenExpiresAt: T0 + 8 * 86_400 * S })))[0]).toMatchObject({ active: false });
    expect(ev.evaluate(T0, facts(host({ tokenExpiresAt: T0 + 6 * 86_400 * S })))[0]).toMatchObject({ active: true, message: 'host web-01: agent token expires in 6.0 d' });
  });

  it('warns about the hub certificate as an alarm without a host', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'cert_expiry', window: 30 * 86_400 })]);
    const [s] = ev.evaluate(T0, { hosts: [], certificates: [{ name: 'hub TLS certificate CN=hub', notAfter: T0 + 10 * 86_400 * S }] });
    expect(s).toMatchObject({ host: null, subject: 'hub TLS certificate CN=hub', active: true });
  });
});
