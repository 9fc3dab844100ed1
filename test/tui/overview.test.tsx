import { describe, expect, it } from 'vitest';
import { linkCounts, rpoCompliance, successRates } from '../../src/tui/render/overviewModel.js';
import { FakeClient } from './fake-client.js';
import { NOW, ago, host, hosts, snapshot } from './fixtures.js';
import { renderApp } from './helpers.js';

describe('Overview', () => {
  it('shows the success rates computed from the hub stats', async () => {
    const { frame, unmount } = await renderApp();
    expect(frame()).toContain('24h 95.0% (19 ok, 1 failed)');
    expect(frame()).toContain('7d 93.3% (140 ok, 10 failed)');
    unmount();
  });

  it('shows hosts by link, RPO compliance per tier, running tasks and storage', async () => {
    const { frame, unmount } = await renderApp();
    const f = frame();
    expect(f).toContain('3 connected · 1 disconnected · 1 never seen · 5 total');
    expect(f).toContain('gold 2/3 66.7%');
    expect(f).toContain('silver 1/1 100%');
    expect(f).toContain('1 running · 1 queued');
    expect(f).toContain('12.0 GiB stored · 48.0 GiB logical · dedup 4.00×');
    unmount();
  });

  it('draws the throughput of the last 15 minutes and lists recent events newest first', async () => {
    const { frame, unmount } = await renderApp();
    const f = frame();
    expect(f).toContain('now 40.0 MiB/s');
    expect(f).toContain('50.0 MiB/s┤');
    expect(f).toMatch(/[⡀-⣿]/);
    expect(f).toMatch(/-15m\s+-7m30s\s+now/);
    expect(f.indexOf('schedule nightly queued')).toBeLessThan(f.indexOf('agent disconnected'));
    unmount();
  });

  it('follows live updates', async () => {
    const { frame, client, unmount } = await renderApp();
    client.emit({ type: 'host', host: host('db-01', { link: 'connected', lastPointTime: ago(60) }) });
    client.emit({ type: 'throughput', sample: { time: new Date(NOW + 1000).toISOString(), bytesPerSec: 1024 } });
    await new Promise((r) => setTimeout(r, 30));
    expect(frame()).toContain('4 connected · 0 disconnected');
    expect(frame()).toContain('gold 3/3 100%');
    expect(frame()).toContain('now 1.0 KiB/s');
    unmount();
  });

  it('does not redraw for changed-block counts it does not show', async () => {
    const { frames, client, unmount } = await renderApp();
    await new Promise((r) => setTimeout(r, 50));
    const before = frames.length;
    const root = snapshot().hosts.find((h) => h.name === 'web-01')!.volumes[0]!.dirty!;
    client.emit({ type: 'backlog', host: 'web-01', volume: 'root', backlog: { ...root, dirtyCount: root.dirtyCount + 1, dirtyBytes: root.dirtyBytes + root.blockSize } });
    client.emit({ type: 'host', host: { ...snapshot().hosts.find((h) => h.name === 'web-01')!, backlogBytes: 1 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.length).toBe(before);
    unmount();
  });

  it('waits for the snapshot before showing numbers', async () => {
    const client = new FakeClient();
    client.call = () => new Promise(() => { /* never answers */ });
    const { frame, unmount } = await renderApp({ client, synced: false });
    expect(frame()).toContain("waiting for the hub's snapshot");
    unmount();
  });
});

describe('overview model', () => {
  it('counts a tier compliant when the newest point is no older than the RPO', () => {
    const tiers = snapshot().hub.tiers;
    expect(rpoCompliance(hosts(), tiers, NOW)).toEqual([
      { tier: 'gold', compliant: 2, total: 3 }, { tier: 'silver', compliant: 1, total: 1 },
    ]);
    const edge = [host('a', { lastPointTime: ago(900) }), host('b', { lastPointTime: ago(901) })];
    expect(rpoCompliance(edge, tiers, NOW)[0]).toEqual({ tier: 'gold', compliant: 1, total: 2 });
  });

  it('has no success rate when nothing finished', () => {
    expect(successRates({ succeeded24h: 0, failed24h: 0, succeeded7d: 3, failed7d: 1 })).toEqual({
      day: { succeeded: 0, failed: 0, rate: null }, week: { succeeded: 3, failed: 1, rate: 0.75 },
    });
    expect(linkCounts(hosts())).toMatchObject({ connected: 3, disconnected: 1, never: 1, total: 5 });
  });
});
