import { describe, expect, it } from 'vitest';
import { LOST_EXIT_MS } from '../../src/tui/App.js';
import { host } from './fixtures.js';
import { GOOD_LINK, metrics } from './fixtures-ops.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

describe('App', () => {
  it('fills exactly rows-1 lines in every view', async () => {
    const { frame, press, unmount } = await renderApp({ columns: 80, rows: 24 });
    expect(frame().split('\n')).toHaveLength(23);
    for (const cmd of [':hosts', ':tasks', ':points', ':host web-01', ':ov']) {
      await press(cmd, KEYS.enter);
      expect(frame().split('\n'), cmd).toHaveLength(23);
      expect(frame().split('\n').every((l) => [...l.replace(/\x1b\[[0-9;]*m/g, '')].length <= 80), cmd).toBe(true);
    }
    await press('?');
    expect(frame().split('\n')).toHaveLength(23);
    unmount();
  });

  it('switches views with :hosts and Enter, typed or sent in one chunk, and Esc goes back', async () => {
    const { frame, press, unmount } = await renderApp();
    await press(':', 'h', 'o', 's', 't', 's');
    expect(frame()).toContain(':hosts');
    await press(KEYS.enter);
    expect(frame()).toContain('Hosts (5)');
    await press(':tasks\r');
    expect(frame()).toContain('Tasks (5)');
    await press(KEYS.esc);
    expect(frame()).toContain('Hosts (5)');
    await press(KEYS.esc);
    expect(frame()).toContain('Throughput, last 15 min');
    unmount();
  });

  it('completes commands with Tab and reports unknown ones', async () => {
    const { frame, press, unmount } = await renderApp();
    await press(':ta', KEYS.tab);
    expect(frame()).toContain(':tasks');
    await press(KEYS.enter);
    expect(frame()).toContain('Tasks (5)');
    await press(':bogus', KEYS.enter);
    expect(frame()).toContain('unknown command: bogus (try :help)');
    unmount();
  });

  it('toggles help with ?', async () => {
    const { frame, press, unmount } = await renderApp({ rows: 50 });
    await press('?');
    expect(frame()).toContain('Help — keys and commands');
    expect(frame()).toContain('full backup (asks y/n)');
    await press('?');
    expect(frame()).not.toContain('Help — keys and commands');
    await press('?', KEYS.esc);
    expect(frame()).not.toContain('Help — keys and commands');
    unmount();
  });

  it('quits with q from any view, with :q, and with Ctrl-C even while typing', async () => {
    for (const keys of [['q'], [':hosts\r', 'q'], [':q\r'], [':ho', KEYS.ctrlC]]) {
      const { press, exits, unmount } = await renderApp();
      await press(...keys);
      expect(exits, keys.join(' ')).toEqual(['quit']);
      unmount();
    }
  });

  it('does not quit on q while a prompt takes text', async () => {
    const { press, exits, unmount } = await renderApp({ view: { kind: 'hosts' } });
    await press('/', 'q');
    expect(exits).toEqual([]);
    unmount();
  });

  it('opening a host asks for its detail and fills the metric sparklines from the history', async () => {
    const { frame, press, client, unmount } = await renderApp({ columns: 120, rows: 40 });
    client.emit({ type: 'metrics', host: 'web-01', metrics: metrics(12), link: GOOD_LINK });
    client.history = { 'web-01/cpu': [12, 50, 100], 'web-01/memory': [40, 40, 40], 'web-01/disk': [70, 70, 70] };
    await press(':host web-01', KEYS.enter);
    await waitFor(() => frame().includes('cpu          ▁▄█ 12%')).catch((e: Error) => { throw new Error(`${e.message}\n${frame()}`); });
    expect(client.callsOf('bitmaps.watch').at(-1)?.params).toEqual({ hosts: ['web-01'] });
    expect(client.callsOf('metrics.history').map((c) => (c.params as { metric: string }).metric).sort()).toEqual(['cpu', 'disk', 'memory']);
    await press(KEYS.esc);
    await waitFor(() => JSON.stringify(client.callsOf('bitmaps.watch').at(-1)?.params) === '{"hosts":[]}');
    unmount();
  });

  it('read-only: shows it, hides actions, and refuses b without calling the hub', async () => {
    const { frame, press, client, unmount } = await renderApp({ readonly: true, view: { kind: 'host', host: 'web-01' } });
    expect(frame().split('\n')[0]).toContain('read-only');
    expect(frame()).not.toContain('b backup');
    await press('b');
    expect(frame()).toContain('read-only: actions disabled');
    await press('f', 'r');
    expect(frame()).not.toContain('[y/N]');
    expect(frame()).not.toContain('choose a recovery point');
    await press(':tasks\r', 'c', 'R');
    // only what a read-only cockpit needs to show things: no action reached the hub
    const reads = new Set(['bitmaps.watch', 'alarms.list', 'inspection.get', 'metrics.history']);
    expect(client.calls.map((c) => c.method).filter((m) => !reads.has(m))).toEqual(['subscribe']);
    unmount();
  });

  it('shows a lost hub connection and exits', async () => {
    const { frame, client, exits, unmount } = await renderApp();
    client.setConnection('lost');
    await waitFor(() => frame().includes('hub connection lost'));
    expect(exits).toEqual([]);
    await delay(LOST_EXIT_MS + 100);
    expect(exits).toEqual(['lost']);
    unmount();
  });

  it('tells the hub whose bitmaps it shows before it asks for the snapshot: none, then the open host', async () => {
    const { client, press, unmount } = await renderApp();
    const methods = client.calls.map((c) => c.method);
    expect(methods.indexOf('bitmaps.watch')).toBeLessThan(methods.indexOf('subscribe'));
    const watching = (): string => JSON.stringify(client.callsOf('bitmaps.watch').at(-1)!.params);
    expect(watching()).toBe('{"hosts":[]}');
    await press(':host web-01', KEYS.enter);
    await waitFor(() => watching() === '{"hosts":["web-01"]}');
    await press(KEYS.esc);
    await waitFor(() => watching() === '{"hosts":[]}');
    unmount();
  });

  it('renders nothing when nothing changed', async () => {
    const { frames, unmount } = await renderApp();
    await delay(100);
    const before = frames.length;
    await delay(500);
    expect(frames.length).toBe(before);
    unmount();
  });

  it('re-renders at most about four times a second however fast updates arrive', async () => {
    const { frames, client, frame, unmount } = await renderApp({ throttleMs: 250, view: { kind: 'hosts' } });
    const before = frames.length;
    for (let i = 0; i < 200; i++) {
      client.emit({ type: 'host', host: host('web-02', { backlogBytes: i * 1024 * 1024 }) });
      if (i % 50 === 0) await delay(50);
    }
    await delay(300);
    expect(frames.length - before).toBeLessThanOrEqual(3);
    expect(frame()).toContain('199 MiB');
    unmount();
  });
});
