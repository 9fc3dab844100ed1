import { describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.js';
import { snapshot } from './fixtures.js';
import { GOOD_LINK, alarms, inspection, metrics } from './fixtures-ops.js';
import { delay, renderApp, waitFor } from './helpers.js';

describe('Overview: alarms, event trend, daily inspection', () => {
  it('fits alarm counts, trend bars and the inspection into 80×24 and still shows the chart', async () => {
    const c = new FakeClient({ ...snapshot(), alarms: alarms() });
    c.inspection = inspection();
    const { frame, unmount } = await renderApp({ client: c, columns: 80, rows: 24 });
    await waitFor(() => frame().includes('Today     1 failed task'));
    const f = frame();
    expect(f.split('\n')).toHaveLength(23);
    expect(f).toContain('Alarms    1 urgent · 1 critical · 1 warning · 0 info open');
    expect(f).toMatch(/Events\s+7d [▁-█]{7} \d+ \(2 crit\) · 30d [▁-█]{30} \d+/);
    expect(f).toContain('Today     1 failed task · 1 delayed · 1 bad link · token web-02 expires in 3d');
    expect(f).toContain('Capacity  40.0 GiB/100 GiB (40.0%) · +2.0 GiB/day · full in 30 days');
    expect(f).toContain('Throughput, last 15 min');
    unmount();
  });

  it('opens the alarm feed with a', async () => {
    const { frame, press, unmount } = await renderApp({ client: new FakeClient({ ...snapshot(), alarms: alarms() }) });
    await press('a');
    expect(frame()).toContain('Alarms (4)');
    unmount();
  });
});

describe('Host detail metrics', () => {
  it('draws cpu, memory and disk sparklines from metrics updates', async () => {
    const { frame, client, unmount } = await renderApp({ view: { kind: 'host', host: 'web-01' }, columns: 120, rows: 40 });
    expect(frame()).toContain('metrics: none received yet');
    for (const [i, cpu] of [10, 50, 100].entries()) {
      client.emit({ type: 'metrics', host: 'web-01', metrics: metrics(cpu, { time: new Date(i * 1000).toISOString() }), link: GOOD_LINK });
    }
    await delay(30);
    expect(frame()).toMatch(/cpu\s+▁▄█ 100%\s+mem\s+▄▄▄ 40%\s+disk\s+▆▆▆ 70% \/\s+link good 3ms/);
    unmount();
  });
});

describe('Help', () => {
  it('lists the new views\' keys and commands', async () => {
    const { frame, press, unmount } = await renderApp({ rows: 80, columns: 120 });
    await press('?');
    const f = frame();
    for (const text of ['acknowledge (optional note)', 'resolve (asks for a note)', 'run the schedule now (asks y/n)', ':alarms|:al', ':schedules|:sc', ':drill HOST…', ':failover HOST', ':reports|:rep', ':logs']) {
      expect(f).toContain(text);
    }
    unmount();
  });
});
