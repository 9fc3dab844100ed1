// The failback wizard: opened with B on a failed-over host only, it shows the pre-check (gates,
// blocks and bytes to send back) and starts only when the host name is typed; read-only
// cockpits cannot open it.
import { describe, expect, it } from 'vitest';
import type { FailbackPrecheck } from '../../src/protocol/recovery.js';
import { FakeClient } from './fake-client.js';
import { snapshot } from './fixtures.js';
import { run } from './fixtures-ops.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

function failbackPrecheck(ready = true): FailbackPrecheck {
  return {
    host: 'web-01', failoverRun: 31, ready, switchHook: 'command', bytesToSend: 3 * 65536, forecastSeconds: 1,
    gates: [
      { name: 'failed-over', ok: true, blocking: true, detail: 'web-01 is failed over' },
      { name: 'agent', ok: ready, blocking: true, detail: ready ? 'source agent of web-01 connected' : 'source agent of web-01 disconnected: start it on the source host' },
    ],
    volumes: [{ volume: 'root', image: '/dr/web-01-root.img', blockSize: 65536, size: 1 << 24, differingBlocks: 3, bytes: 3 * 65536 }],
  };
}

function client(failedOver = true, ready = true): FakeClient {
  const s = snapshot();
  s.hosts = s.hosts.map((h) => (h.name === 'web-01' ? { ...h, failedOver } : h));
  const c = new FakeClient(s);
  c.failbackPrecheck = failbackPrecheck(ready);
  c.startedRun = run(41, { kind: 'failback' });
  return c;
}

describe('Failback wizard', () => {
  it('shows what travels home and starts only when the host name is typed', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'host', host: 'web-01' }, columns: 120 });
    await press('B');
    await waitFor(() => frame().includes('FAILBACK web-01: type the host name to confirm'));
    const f = frame();
    expect(f).toMatch(/✓ pass agent\s+source agent of web-01 connected/);
    expect(f).toMatch(/root\s+3 block\(s\) differ · 192(\.0)? KiB to send back/);
    await press('y', KEYS.enter);
    expect(frame()).toContain('refused: "y" is not "web-01" — nothing started');
    expect(c.callsOf('failback.start')).toHaveLength(0);
    await press(KEYS.enter, ...'web-01'.split(''), KEYS.enter);
    expect(c.callsOf('failback.start')).toEqual([{ method: 'failback.start', params: { host: 'web-01', confirm: 'web-01' } }]);
    await waitFor(() => frame().includes('Failback web-01 · run 41'));
    c.emit({ type: 'run', run: run(41, { kind: 'failback', state: 'completed', finishedAt: new Date().toISOString() }) });
    await waitFor(() => frame().includes('failback completed: web-01 is home · report 41'));
    unmount();
  });

  it('does nothing on B for a host that is not failed over', async () => {
    const c = client(false);
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'host', host: 'web-01' }, columns: 120 });
    await press('B');
    await waitFor(() => frame().includes('web-01 is not failed over: nothing to fail back'));
    expect(c.callsOf('failback.precheck')).toHaveLength(0);
    unmount();
  });

  it('refuses to start when the source agent is not connected', async () => {
    const c = client(true, false);
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120 });
    await press(':failback web-01\r');
    await waitFor(() => frame().includes('blocked by agent: the failback cannot start'));
    await press(KEYS.enter);
    expect(frame()).toContain('failback of web-01 blocked by its pre-check');
    expect(c.callsOf('failback.start')).toHaveLength(0);
    unmount();
  });

  it('cannot be opened from a read-only cockpit', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'host', host: 'web-01' }, readonly: true });
    await press('B');
    await press(':failback web-01\r');
    await delay(20);
    expect(frame()).toContain('read-only: actions disabled');
    expect(c.callsOf('failback.precheck')).toHaveLength(0);
    unmount();
  });
});
