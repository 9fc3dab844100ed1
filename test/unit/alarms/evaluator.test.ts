// Rule evaluation with an injected clock: for-durations, events with result filters,
// selectors, missing data.
import { describe, expect, it } from 'vitest';
import { AlarmEvaluator } from '../../../src/alarms/evaluator.js';
import type { AlarmInputEvent } from '../../../src/alarms/types.js';
import { eventRule, facts, host, metricRule, MIN, S, T0, withCpu } from './fixtures.js';

const disconnect = (h = 'web-01', result = 'Failed'): AlarmInputEvent => ({ event: 'host_disconnected', host: h, result, message: `host ${h} disconnected`, clears: false });
const reconnect = (h = 'web-01'): AlarmInputEvent => ({ event: 'host_disconnected', host: h, result: 'Successful', message: `host ${h} connected`, clears: true });
const sel = { name: 'web-01', tags: ['prod'], tier: 'gold' };

describe('AlarmEvaluator metric rules', () => {
  it('fires a CPU rule only after the condition held for its whole for: duration', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'cpu', threshold: 90, for: 60 })]);
    const h = host();
    expect(ev.evaluate(T0, facts(withCpu(h, 95, T0)))).toEqual([]);
    expect(ev.evaluate(T0 + 59 * S, facts(withCpu(h, 97, T0 + 59 * S)))).toEqual([]);
    const at60 = ev.evaluate(T0 + 60 * S, facts(withCpu(h, 96, T0 + 60 * S)));
    expect(at60).toHaveLength(1);
    expect(at60[0]).toMatchObject({ key: 'cpu-rule|web-01|', active: true, value: 96, level: 'warning' });
  });

  it('restarts the for: duration when the condition drops in between', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'cpu', threshold: 90, for: 60 })]);
    const h = host();
    ev.evaluate(T0, facts(withCpu(h, 95, T0)));
    expect(ev.evaluate(T0 + 30 * S, facts(withCpu(h, 50, T0 + 30 * S)))[0]).toMatchObject({ active: false });
    ev.evaluate(T0 + 40 * S, facts(withCpu(h, 95, T0 + 40 * S)));
    expect(ev.evaluate(T0 + 90 * S, facts(withCpu(h, 95, T0 + 90 * S)))).toEqual([]);
    expect(ev.evaluate(T0 + 100 * S, facts(withCpu(h, 95, T0 + 100 * S)))[0]).toMatchObject({ active: true });
  });

  it('gives no signal for a host without a fresh resource sample, so its alarms stay as they are', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'cpu', threshold: 90 })]);
    expect(ev.evaluate(T0, facts(host({ resources: null })))).toEqual([]);
  });

  it('measures every mount of a disk rule under its own key', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'disk', threshold: 80 })]);
    const h = host({ resources: { time: T0, cpu: 1, memory: 1, disks: [{ mount: '/', percent: 50 }, { mount: '/data', percent: 91 }], processes: new Map() } });
    const s = ev.evaluate(T0, facts(h));
    expect(s.map((x) => [x.key, x.active])).toEqual([['disk-rule|web-01|/', false], ['disk-rule|web-01|/data', true]]);
  });

  it('fires a process rule when the watched process is not running, and lists it for the agent', () => {
    const ev = new AlarmEvaluator([metricRule({ metric: 'process', process: 'nginx', hosts: ['web-*'] })]);
    const h = host({ resources: { time: T0, cpu: 1, memory: 1, disks: [], processes: new Map([['nginx', 0]]) } });
    expect(ev.evaluate(T0, facts(h))[0]).toMatchObject({ key: 'process-rule|web-01|nginx', active: true, message: 'host web-01: process nginx is not running' });
    expect(ev.watchedProcesses(sel)).toEqual(['nginx']);
    expect(ev.watchedProcesses({ name: 'db-01', tags: [], tier: null })).toEqual([]);
  });

  it('applies host selectors by glob, tag and tier', () => {
    const h1 = host({ name: 'web-01', tags: ['prod'] });
    const h2 = host({ name: 'db-01', tags: ['db'], tier: 'silver' });
    const keys = (hosts: string[]) => new AlarmEvaluator([metricRule({ metric: 'cpu', hosts })]).evaluate(T0, facts(h1, h2)).map((s) => s.host);
    expect(keys(['web-*'])).toEqual(['web-01']);
    expect(keys(['tag:db'])).toEqual(['db-01']);
    expect(keys(['tier:silver'])).toEqual(['db-01']);
    expect(keys([])).toEqual(['web-01', 'db-01']);
  });
});

describe('AlarmEvaluator event rules', () => {
  it('fires a disconnect at once and clears it when the host connects again', () => {
    const ev = new AlarmEvaluator([eventRule({ event: 'host_disconnected' })]);
    expect(ev.onEvent(T0, disconnect(), sel)).toEqual([expect.objectContaining({ key: 'host_disconnected-rule|web-01|', active: true, occurrence: true })]);
    expect(ev.onEvent(T0 + S, reconnect(), sel)).toEqual([expect.objectContaining({ key: 'host_disconnected-rule|web-01|', active: false })]);
  });

  it('only fires for events whose result matches the rule, ignoring case', () => {
    const ev = new AlarmEvaluator([eventRule({ event: 'host_disconnected', result: 'failed' })]);
    expect(ev.onEvent(T0, disconnect('web-01', 'Successful'), sel)).toEqual([]);
    expect(ev.onEvent(T0, disconnect('web-01', 'Failed'), sel)).toHaveLength(1);
  });

  it('holds an event rule with for: until the time passed, and drops it when cleared before', () => {
    const ev = new AlarmEvaluator([eventRule({ event: 'host_disconnected', for: 60 })]);
    expect(ev.onEvent(T0, disconnect(), sel)).toEqual([]);
    expect(ev.evaluate(T0 + 59 * S, facts())).toEqual([]);
    expect(ev.evaluate(T0 + 60 * S, facts())).toEqual([expect.objectContaining({ active: true })]);
    ev.onEvent(T0 + 2 * MIN, disconnect(), sel);
    ev.onEvent(T0 + 2 * MIN + 10 * S, reconnect(), sel);
    expect(ev.evaluate(T0 + 4 * MIN, facts())).toEqual([]);
  });
});
