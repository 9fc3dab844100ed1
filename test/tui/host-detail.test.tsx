import { describe, expect, it } from 'vitest';
import { ago, bitmap, host } from './fixtures.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

const web = { kind: 'host', host: 'web-01' } as const;

describe('Host detail', () => {
  it('shows a heatmap per volume with its legend, and the points and tasks of the host', async () => {
    const { frame, unmount } = await renderApp({ view: web, columns: 120, rows: 40 });
    const f = frame();
    expect(f).toContain('volume root /dev/vda1 · 64.0 MiB');
    expect(f).toContain('volume data /dev/vdb · 128 MiB');
    expect(f).toContain('dirty 256 blocks / 16.0 MiB of 64.0 MiB');
    expect(f).toContain('█'.repeat(50));
    expect(f).toContain('Recovery points (3)');
    expect(f).toMatch(/10 2025-03-13 12:00 root\s+full\s+64.0 MiB ✓/);
    expect(f).toContain('#101  backup  running');
    expect(f).not.toContain('#102');
    unmount();
  });

  it("shows a continuous host's live lag, seconds and bytes behind, against its own RPO target", async () => {
    const { frame, client, unmount } = await renderApp({ view: web, columns: 120, rows: 40 });
    client.emit({ type: 'host', host: host('web-01', { rpoSeconds: 15, lastPointTime: ago(20), backlogBytes: 3 * 1024 * 1024, continuous: { rpoSeconds: 15, minIntervalSeconds: 5, cycleStartedAt: ago(2) } }) });
    await waitFor(() => frame().includes('continuous · 20s behind, 3.0 MiB behind · target RPO 15s · cycle running 2s'));
    expect(frame()).toContain('last point !↻20s/15s');
    unmount();
  });

  it('updates the heatmap as bitmap updates arrive', async () => {
    const { frame, client, unmount } = await renderApp({ view: web, columns: 120, rows: 40 });
    client.emit({ type: 'bitmap', host: 'web-01', volume: 'root', dirty: bitmap(1024, () => true) });
    await waitFor(() => frame().includes('dirty 1,024 blocks / 64.0 MiB of 64.0 MiB'));
    expect(frame()).not.toContain('dirty 256 blocks');
    unmount();
  });

  it('starts a backup of this host with b', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: web });
    await press('b');
    expect(client.callsOf('backup.start')).toEqual([{ method: 'backup.start', params: { host: 'web-01' } }]);
    await waitFor(() => frame().includes('backup queued: job 500 (web-01)'));
    unmount();
  });

  it('asks before a full backup and does nothing on no', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: web });
    await press('f');
    expect(frame()).toContain('Full backup of web-01? It reads every block. [y/N]');
    await press('n');
    expect(client.callsOf('backup.start')).toHaveLength(0);
    expect(frame()).toContain('cancelled');
    await press('f', 'y');
    expect(client.callsOf('backup.start')).toEqual([{ method: 'backup.start', params: { host: 'web-01', full: true } }]);
    unmount();
  });

  it('restores a picked point to the default path', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: web });
    await press('r');
    expect(frame()).toContain('Restore web-01: choose a recovery point');
    expect(frame()).toMatch(/10 2025-03-13 12:00\s+root\s+full\s+64.0 MiB ✓/);
    await press(KEYS.enter);
    expect(frame()).toContain('restore web-01/root point 11 to: ./restore-web-01-root-11.img');
    expect(client.callsOf('restore.start')).toHaveLength(0);
    await press(KEYS.enter);
    expect(client.callsOf('restore.start')).toEqual([{
      method: 'restore.start', params: { host: 'web-01', volume: 'root', point: '11', to: './restore-web-01-root-11.img' },
    }]);
    await waitFor(() => frame().includes('restore queued: job 500 → ./restore-web-01-root-11.img'));
    unmount();
  });

  it('lets the target path be edited and the picker move', async () => {
    const { press, client, unmount } = await renderApp({ view: web });
    await press('r', KEYS.down, KEYS.down, KEYS.enter, '\x15', '/tmp/x.img', KEYS.enter);
    expect(client.callsOf('restore.start')[0]!.params).toEqual({ host: 'web-01', volume: 'root', point: '10', to: '/tmp/x.img' });
    unmount();
  });

  it('cancels the restore on Esc', async () => {
    const { press, client, unmount } = await renderApp({ view: web });
    await press('r', KEYS.enter, KEYS.esc);
    await press('r', KEYS.esc);
    expect(client.callsOf('restore.start')).toHaveLength(0);
    unmount();
  });

  it('shows the error of a failed call in the status line', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: web });
    client.failures.set('backup.start', 'host web-01 is not connected');
    await press('b');
    await waitFor(() => frame().includes('backup.start failed: host web-01 is not connected'));
    unmount();
  });
});
