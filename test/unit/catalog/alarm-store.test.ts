// The alarm ledger as the cockpit shows it: each alarm's notifications as the latest attempt per
// channel and transition, and open alarms found again after the catalog is reopened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmRecord } from '../../../src/alarms/types.js';
import { TempCatalog } from './temp-catalog.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const alarm: Omit<AlarmRecord, 'id'> = {
  key: 'cpu:web-1', rule: 'cpu', level: 'warning', host: 'web-1', subject: null, state: 'firing', message: 'cpu 95%', value: 95,
  firedAt: T0, lastFiredAt: T0, count: 1, flapping: false, slaDueAt: T0 + 900_000, slaBreached: false,
  ackedAt: null, ackedBy: null, ackNote: null, resolvedAt: null, resolvedBy: null, resolveNote: null,
};

let t: TempCatalog;
beforeEach(() => (t = new TempCatalog()));
afterEach(() => t.dispose());

describe('alarm ledger', () => {
  it('shows the latest attempt per channel and transition, with how many attempts it took', () => {
    const alarms = t.catalog.repos.alarms;
    const id = alarms.insert(alarm);
    const attempt = (channel: string, n: number, ok: boolean, error: string | null = null): void =>
      alarms.recordDelivery({ alarmId: id, channel, transition: 'fired', attempt: n, time: T0 + n * 1000, ok, error });
    attempt('slack', 1, false, 'HTTP 502');
    attempt('mail', 1, true);
    attempt('slack', 2, true);
    expect(alarms.deliveries(id)).toEqual([
      { channel: 'mail', transition: 'fired', ok: true, attempts: 1, error: null, time: new Date(T0 + 1000).toISOString() },
      { channel: 'slack', transition: 'fired', ok: true, attempts: 2, error: null, time: new Date(T0 + 2000).toISOString() },
    ]);
  });

  it('finds open alarms again after a reopen, and no longer once resolved', () => {
    const id = t.catalog.repos.alarms.insert(alarm);
    const open = t.reopen().repos.alarms.open();
    expect(open).toEqual([{ ...alarm, id }]);
    t.catalog.repos.alarms.update({ ...open[0]!, state: 'resolved', resolvedAt: T0 + 60_000, resolvedBy: 'alice', resolveNote: 'fixed' });
    expect(t.catalog.repos.alarms.open()).toEqual([]);
    expect(t.catalog.repos.alarms.list(false, 10)[0]).toMatchObject({ state: 'resolved', resolvedBy: 'alice' });
  });
});
