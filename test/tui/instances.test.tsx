import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/protocol/recovery.js';
import { FakeClient } from './fake-client.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

function instance(id: number, over: Partial<InstanceView> = {}): InstanceView {
  return {
    id, kind: 'drill', host: 'web-01', runId: 7, target: 'vm', state: 'running', pid: 4242, accel: 'tcg', network: 'isolated',
    ports: [{ host: 40080, guest: 80 }], bindAddress: '127.0.0.1', dir: '/dr/vms/drill-7/vm-web-01', qmp: '/dr/q.sock', console: '/dr/console.log', nbd: null,
    startedAt: '2025-03-14T11:59:00Z', expiresAt: '2025-03-15T12:00:00Z', stoppedAt: null, uptimeSeconds: 75, bootMs: 4200,
    lastLines: ['drc-guest: drivers loaded', 'drc-guest: booted'], disk: 'local', ...over,
  };
}

function client(): FakeClient {
  const c = new FakeClient();
  c.instances = [instance(1), instance(2, { kind: 'failover', host: 'db-01', runId: 9, network: 'user', ports: [{ host: 5432, guest: 5432 }], lastLines: ['db-01 login:'] })];
  return c;
}

describe('Instances', () => {
  it('opens with :instances and lists each recovered host with state, accelerator, uptime, boot time, ports and the console of the selected one', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 30 });
    await press(':instances\r');
    await waitFor(() => frame().includes('db-01'));
    const f = frame();
    expect(c.callsOf('instances.list').length).toBeGreaterThan(0);
    expect(f).toContain('Instances (2 running)');
    expect(f).toMatch(/1\s+drill\s+web-01\s+running\s+local\s+tcg\s+1m 15s\s+4\.2 s\s+40080→80/);
    expect(f).toContain('console of web-01 (instance 1)');
    expect(f).toContain('drc-guest: booted');
    unmount();
  });

  it('stops a drill instance after y, and a failover instance only with its host name typed', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'instances' }, columns: 120, rows: 30 });
    await waitFor(() => frame().includes('db-01'));
    await press('x');
    expect(frame()).toContain('Stop drill instance 1 of web-01? [y/N]');
    await press('y');
    await delay(20);
    expect(c.callsOf('instances.stop')).toEqual([{ method: 'instances.stop', params: { id: 1, confirm: undefined } }]);
    await press('j', 'x');
    expect(frame()).toContain('stop failed-over db-01 (instance 2) — type the host name');
    await press('web-01\r');
    await delay(20);
    expect(c.callsOf('instances.stop')).toHaveLength(1);
    expect(frame()).toContain('not stopped: "web-01" is not db-01');
    await press('x', 'db-01\r');
    await delay(20);
    expect(c.callsOf('instances.stop').at(-1)).toEqual({ method: 'instances.stop', params: { id: 2, confirm: 'db-01' } });
    unmount();
  });

  it('follows the selected instance\'s console with Enter, without the escape sequences the firmware writes, and stops it from there after y', async () => {
    const c = client();
    c.consoles[1] = '\x1b[2J\x1b[HSeaBIOS (version 1.16)\r\nBooting from Hard Disk...\r\n';
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'instances' }, columns: 120, rows: 30 });
    await waitFor(() => frame().includes('db-01'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Booting from Hard Disk...'));
    expect(frame()).toContain('Console of web-01 (drill instance 1) · running · following');
    expect(frame()).toContain('SeaBIOS (version 1.16)');
    expect(frame()).not.toMatch(/\[2J|\[H/);
    c.consoles[1] += 'drc-guest: marker ok\r\ndrc-guest: booted\r\n';
    await waitFor(() => frame().includes('drc-guest: booted'), 3000);
    expect(c.callsOf('instances.console').every((x) => (x.params as { id: number }).id === 1)).toBe(true);
    await press('x');
    expect(frame()).toContain('Stop drill instance 1 of web-01? [y/N]');
    await press('y');
    await delay(20);
    expect(c.callsOf('instances.stop')).toEqual([{ method: 'instances.stop', params: { id: 1, confirm: undefined } }]);
    unmount();
  });
});
