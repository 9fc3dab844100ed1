import { describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.js';
import { KEYS, renderApp } from './helpers.js';

describe('Points view', () => {
  it('lists the points of one host newest first, with a proof ladder, marking the last clean point', async () => {
    const { frame, press, unmount } = await renderApp();
    await press(':points web-01', KEYS.enter);
    const f = frame();
    expect(f).toContain('Points of web-01 (3)');
    const order = [' 11 ', ' 15 ', ' 10 '].map((id) => f.indexOf(id));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(f).not.toContain('db-01');
    const row10 = f.split('\n').find((l) => l.includes(' 10 '))!;
    expect(row10).toContain('V·····');
    expect(row10).toContain('last');
    expect(f.split('\n').find((l) => l.includes(' 11 '))).not.toContain('last');
    unmount();
  });

  it('shows a damaged point as DAMAGED and never as the last clean one', async () => {
    const client = new FakeClient();
    client.snapshot.points = client.snapshot.points.map((p) => (p.id === 10 ? { ...p, damaged: true } : p));
    const { frame, press, unmount } = await renderApp({ client });
    await press(':points web-01', KEYS.enter);
    const row10 = frame().split('\n').find((l) => l.includes(' 10 '))!;
    expect(row10).toContain('DAMAGED');
    expect(row10).not.toContain('last');
    unmount();
  });

  it('shows a suspect point with S in its ladder and offers the clean point before it as the last clean one', async () => {
    const client = new FakeClient();
    client.snapshot.points = client.snapshot.points.map((p) => (p.id === 11 ? { ...p, suspect: true, provenance: { ...p.provenance, verified: { time: p.time, fraction: 1 } }, verifiedAt: p.time } : p));
    const { frame, press, unmount } = await renderApp({ client });
    await press(':points web-01', KEYS.enter);
    const rows = frame().split('\n');
    const row11 = rows.find((l) => l.includes(' 11 '))!;
    expect(row11).toContain('SV·····');
    expect(row11).not.toContain('last');
    expect(rows.find((l) => l.includes(' 10 '))).toContain('last');
    unmount();
  });

  it('repairs the damaged chunks of the host with R', async () => {
    const { press, client, unmount } = await renderApp();
    await press(':points web-01', KEYS.enter);
    await press('R');
    expect(client.callsOf('store.repair')[0]!.params).toEqual({ host: 'web-01' });
    unmount();
  });

  it('lists every host with :points, and restores the selected point with r', async () => {
    const { frame, press, client, unmount } = await renderApp();
    await press(':points', KEYS.enter);
    expect(frame()).toContain('Points (6)');
    await press('j', 'r');
    expect(frame()).toContain('./restore-web-01-data-15.img');
    await press(KEYS.enter);
    expect(client.callsOf('restore.start')[0]!.params).toEqual({
      host: 'web-01', volume: 'data', point: '15', to: './restore-web-01-data-15.img',
    });
    unmount();
  });
});
