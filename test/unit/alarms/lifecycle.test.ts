// The alarm lifecycle with an injected clock: dedup, acknowledge, resolve (auto and by
// hand), flap damping, SLA timers.
import { describe, expect, it } from 'vitest';
import { AlarmBook, FLAP_QUIET_MS } from '../../../src/alarms/lifecycle.js';
import { AlarmError, type Signal } from '../../../src/alarms/types.js';
import { MemoryAlarmStore, MIN, S, T0 } from './fixtures.js';

const on = (over: Partial<Signal> = {}): Signal => ({ key: 'r|web-01|', rule: 'r', level: 'critical', host: 'web-01', subject: null, active: true, message: 'down', value: null, ...over });
const off = (over: Partial<Signal> = {}): Signal => on({ active: false, ...over });

function book() {
  const store = new MemoryAlarmStore();
  return { store, book: new AlarmBook(store) };
}

describe('AlarmBook', () => {
  it('opens one alarm per key however often the condition is reported', () => {
    const { store, book: b } = book();
    expect(b.apply(T0, [on()]).map((t) => t.kind)).toEqual(['fired']);
    expect(b.apply(T0 + S, [on()])).toEqual([]);
    expect(b.apply(T0 + 2 * S, [on({ occurrence: true })])).toEqual([]);
    expect(store.rows.size).toBe(1);
    expect(store.get(1)).toMatchObject({ state: 'firing', count: 2, lastFiredAt: T0 + 2 * S });
  });

  it('resolves an alarm by itself when its condition clears', () => {
    const { store, book: b } = book();
    b.apply(T0, [on()]);
    const t = b.apply(T0 + MIN, [off()]);
    expect(t).toEqual([expect.objectContaining({ kind: 'resolved', actor: 'system:alarms', note: 'condition cleared' })]);
    expect(store.get(1)).toMatchObject({ state: 'resolved', resolvedAt: T0 + MIN, slaDueAt: null });
  });

  it('acknowledges a firing alarm once, with the actor and note, and stops its SLA timer', () => {
    const { store, book: b } = book();
    b.apply(T0, [on()]);
    expect(b.acknowledge(T0 + MIN, 1, 'operator:ann', 'looking')).toMatchObject({ kind: 'acknowledged' });
    expect(store.get(1)).toMatchObject({ state: 'acknowledged', ackedBy: 'operator:ann', ackNote: 'looking', slaDueAt: null });
    expect(() => b.acknowledge(T0 + MIN, 1, 'operator:bob', null)).toThrow(/already acknowledged by operator:ann/);
    expect(b.tick(T0 + 60 * MIN)).toEqual([]);
  });

  it('refuses to resolve by hand without a note, and unknown or resolved alarms with their own errors', () => {
    const { book: b } = book();
    b.apply(T0, [on()]);
    expect(() => b.resolve(T0, 1, 'operator:ann', '  ')).toThrow(AlarmError);
    expect(() => b.acknowledge(T0, 9, 'operator:ann', null)).toThrow(/no alarm 9/);
    b.resolve(T0, 1, 'operator:ann', 'rebooted the switch');
    expect(() => b.resolve(T0, 1, 'operator:ann', 'again')).toThrow(/already resolved/);
  });

  it('does not fire again for a condition resolved by hand until that condition has cleared', () => {
    const { store, book: b } = book();
    b.apply(T0, [on()]);
    b.resolve(T0 + S, 1, 'operator:ann', 'known maintenance');
    expect(store.get(1)).toMatchObject({ state: 'resolved', resolvedBy: 'operator:ann', resolveNote: 'known maintenance' });
    expect(b.apply(T0 + 2 * S, [on()])).toEqual([]);
    b.apply(T0 + 3 * S, [off()]);
    expect(b.apply(T0 + 4 * S, [on()]).map((t) => t.kind)).toEqual(['fired']);
  });

  it('marks the third firing within the flap window as flapping and holds it open until quiet', () => {
    const { store, book: b } = book();
    b.apply(T0, [on()]);
    b.apply(T0 + MIN, [off()]);
    b.apply(T0 + 2 * MIN, [on()]);
    b.apply(T0 + 3 * MIN, [off()]);
    expect(b.apply(T0 + 4 * MIN, [on()]).map((t) => t.kind)).toEqual(['fired', 'flapping']);
    expect(b.apply(T0 + 5 * MIN, [off()])).toEqual([]);
    expect(b.apply(T0 + 6 * MIN, [on()])).toEqual([]);
    expect(b.apply(T0 + 7 * MIN, [off()])).toEqual([]);
    expect(b.tick(T0 + 7 * MIN + FLAP_QUIET_MS - S)).toEqual([]);
    expect(b.tick(T0 + 7 * MIN + FLAP_QUIET_MS).map((t) => t.kind)).toEqual(['resolved']);
    expect(store.rows.size).toBe(3);
    expect(store.get(3)).toMatchObject({ state: 'resolved', flapping: true });
  });

  it('reports an SLA breach once when a critical alarm is not acknowledged within 15 minutes', () => {
    const { store, book: b } = book();
    b.apply(T0, [on({ level: 'critical' })]);
    expect(store.get(1)!.slaDueAt).toBe(T0 + 15 * MIN);
    expect(b.tick(T0 + 15 * MIN - S)).toEqual([]);
    expect(b.tick(T0 + 15 * MIN).map((t) => t.kind)).toEqual(['sla_breached']);
    expect(b.tick(T0 + 16 * MIN)).toEqual([]);
    expect(store.get(1)!.slaBreached).toBe(true);
  });

  it('picks up open alarms from its store after a restart', () => {
    const { store, book: b } = book();
    b.apply(T0, [on()]);
    const again = new AlarmBook(store);
    expect(again.apply(T0 + S, [on()])).toEqual([]);
    expect(again.apply(T0 + 2 * S, [off()]).map((t) => t.kind)).toEqual(['resolved']);
  });
});
