// Which hub events feed which event rules, with which result.
import { describe, expect, it } from 'vitest';
import { AlarmEvaluator } from '../../../src/alarms/evaluator.js';
import { alarmInputs } from '../../../src/alarms/events.js';

describe('alarmInputs', () => {
  it('calls a lost link Failed and a clean agent stop Successful', () => {
    expect(alarmInputs('host.disconnected', 'h1', 'm', { closeCode: 1006 })).toEqual([{ event: 'host_disconnected', host: 'h1', result: 'Failed', message: 'm', clears: false }]);
    expect(alarmInputs('host.disconnected', 'h1', 'm', { closeCode: 1000 })[0]!.result).toBe('Successful');
  });

  it('lets a successful backup clear both a failed sync and an invalidated bitmap', () => {
    expect(alarmInputs('backup.succeeded', 'h1', 'm').map((e) => [e.event, e.clears])).toEqual([
      ['sync_failed', true],
      ['bitmap_invalidated', true],
    ]);
  });

  it('maps failed and cancelled backups, restores and verifies to their events', () => {
    expect(alarmInputs('backup.cancelled', 'h1', 'm')[0]).toMatchObject({ event: 'sync_failed', result: 'Cancelled' });
    expect(alarmInputs('restore.failed', 'h1', 'm')[0]).toMatchObject({ event: 'host_start_failed', result: 'Failed' });
    expect(alarmInputs('verify.failed', 'h1', 'm')[0]).toMatchObject({ event: 'verify_failed', result: 'Failed' });
    expect(alarmInputs('point.committed', 'h1', 'm')).toEqual([]);
  });

  it('raises copy_failed for a failed copy run or a copy behind its RPO, and clears it when a run succeeds', () => {
    expect(alarmInputs('copy.failed', null, 'm')[0]).toMatchObject({ event: 'copy_failed', host: null, result: 'Failed', clears: false });
    expect(alarmInputs('copy.behind', null, 'm')[0]).toMatchObject({ event: 'copy_failed', result: 'Behind', clears: false });
    expect(alarmInputs('copy.finished', null, 'm')[0]).toMatchObject({ event: 'copy_failed', clears: true });
  });

  it("keeps one copy_failed alarm per copy: another copy's good run does not clear a failed one's", () => {
    const ev = new AlarmEvaluator([{ name: 'copy-failed', kind: 'event', event: 'copy_failed', level: 'warning', for: 0, window: null, hosts: [], result: null, channels: [] }]);
    const on = (kind: string, copy: string) => alarmInputs(kind, null, `${kind} ${copy}`, { copy }).flatMap((e) => ev.onEvent(0, e, null));
    const offsite = on('copy.failed', 'offsite');
    expect(offsite).toEqual([expect.objectContaining({ key: 'copy-failed||offsite', subject: 'offsite', active: true })]);
    const vault = on('copy.finished', 'vault');
    expect(vault).toEqual([expect.objectContaining({ key: 'copy-failed||vault', active: false })]);
    expect(on('copy.failed', 'usb')[0]!.key).toBe('copy-failed||usb');
    expect(on('copy.finished', 'offsite')).toEqual([expect.objectContaining({ key: 'copy-failed||offsite', active: false })]);
  });

  it('ends host_start_failed of every host of a drill that passed, and raises it for each host of one that failed', () => {
    const passed = alarmInputs('drill.completed', 'h1', 'm', { verdict: 'pass', hosts: ['h1', 'h2'] });
    expect(passed.map((e) => [e.event, e.host, e.clears])).toEqual([['host_start_failed', 'h1', true], ['host_start_failed', 'h2', true]]);
    const failed = alarmInputs('drill.completed', 'h1', 'm', { verdict: 'fail', hosts: ['h1', 'h2'] });
    expect(failed.map((e) => [e.host, e.result, e.clears])).toEqual([['h1', 'Failed', false], ['h2', 'Failed', false]]);
    expect(alarmInputs('failover.completed', 'h1', 'm', { verdict: 'fail', hosts: ['h1'] })[0]).toMatchObject({ result: 'Failed', clears: false });
  });
});
