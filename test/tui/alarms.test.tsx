import { describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.js';
import { snapshot } from './fixtures.js';
import { alarms } from './fixtures-ops.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

const client = () => new FakeClient({ ...snapshot(), alarms: alarms() });

describe('Alarms', () => {
  it('opens with :al and lists firing alarms first, worst level first, with age, SLA timer and state', async () => {
    const { frame, press, unmount } = await renderApp({ client: client(), columns: 120 });
    await press(':al\r');
    const f = frame();
    expect(f).toContain('Alarms (4) · open: 1 urgent 1 critical 1 warning 0 info');
    const lines = f.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('critical')).toBeLessThan(at('disk_full'));
    expect(at('disk_full')).toBeLessThan(at('rpo_breach'));
    expect(f).toMatch(/critical\s+5m 10m left\s+db-01\s+host_disconnected\s+firing/);
    expect(f).toMatch(/warning\s+1h !30m over\s+web-01\s+disk_full/);
    expect(f).toMatch(/urgent .*files-01\s+rpo_breach\s+acked/);
    unmount();
  });

  it('acknowledges the selected alarm with a, with an optional note', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'alarms' } });
    await press('a');
    expect(frame()).toContain('acknowledge alarm 1 (host_disconnected) — note, optional:');
    await press('k', 'n', 'o', 'w', 'n', KEYS.enter);
    expect(c.callsOf('alarms.ack')).toEqual([{ method: 'alarms.ack', params: { id: 1, note: 'known' } }]);
    await waitFor(() => frame().includes('alarm 1 acknowledged'));
    unmount();
  });

  it('asks for a note before resolving and refuses without one', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'alarms' } });
    await press('R');
    expect(frame()).toContain('resolve alarm 1 (host_disconnected) — note, required:');
    await press(KEYS.enter);
    expect(frame()).toContain('not resolved: a note is required');
    expect(c.callsOf('alarms.resolve')).toHaveLength(0);
    await press('R', 'f', 'i', 'x', 'e', 'd', KEYS.enter);
    expect(c.callsOf('alarms.resolve')).toEqual([{ method: 'alarms.resolve', params: { id: 1, note: 'fixed' } }]);
    unmount();
  });

  it('filters by host or level with /', async () => {
    const { frame, press, unmount } = await renderApp({ client: client(), view: { kind: 'alarms' } });
    await press('/', 'w', 'a', 'r', 'n', KEYS.enter);
    expect(frame()).toContain('Alarms (1 of 4)');
    expect(frame()).toContain('disk_full');
    expect(frame()).not.toContain('host_disconnected');
    unmount();
  });

  it('offers neither ack nor resolve when read-only', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'alarms' }, readonly: true });
    const footer = frame().split('\n').at(-1) ?? '';
    expect(footer).not.toMatch(/\ba ack|resolve/);
    await press('a');
    expect(frame()).toContain('read-only: actions disabled');
    expect(c.callsOf('alarms.ack')).toHaveLength(0);
    unmount();
  });
});
