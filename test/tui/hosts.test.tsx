import chalk from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, renderApp } from './helpers.js';

const level = chalk.level;
afterEach(() => { chalk.level = level; });
const line = (frame: string, text: string): string => frame.split('\n').find((l) => l.includes(text)) ?? '';
/** the foreground colour code in force where `text` starts ('39' = default) */
function colourAt(l: string, text: string): string {
  const codes = [...l.slice(0, l.indexOf(text)).matchAll(/\x1b\[(3\d)m/g)];
  return codes.at(-1)?.[1] ?? '39';
}

describe('Hosts view', () => {
  it('shows a disconnected host as disconnected and its breached RPO age marked', async () => {
    const { frame, unmount } = await renderApp({ view: { kind: 'hosts' } });
    const db = line(frame(), 'db-01');
    expect(db).toContain('✕ disconnected');
    expect(db).toContain('!2h/15m');
    expect(line(frame(), 'lab-01')).toContain('○ never seen');
    expect(line(frame(), 'web-01')).toContain('4m/15m');
    expect(line(frame(), 'web-01')).toContain('16.0 MiB');
    unmount();
  });

  it('colours the link and the RPO age by state', async () => {
    chalk.level = 1;
    const { frame, unmount } = await renderApp({ view: { kind: 'hosts' }, colors: true });
    expect(colourAt(line(frame(), 'db-01'), '!2h/15m')).toBe('31');
    expect(colourAt(line(frame(), 'db-01'), 'disconnected')).toBe('31');
    expect(colourAt(line(frame(), 'web-02'), '13m/15m')).toBe('33');
    expect(colourAt(line(frame(), 'web-01'), '4m/15m')).toBe('32');
    expect(colourAt(line(frame(), 'lab-01'), 'never seen')).toBe('39');
    unmount();
  });

  it('cycles the sort column with s and reverses with S', async () => {
    const { frame, press, unmount } = await renderApp({ view: { kind: 'hosts' } });
    expect(frame()).toContain('NAME▲');
    await press('s');
    expect(frame()).toContain('TIER▲');
    await press('s', 's', 's');
    expect(frame()).toContain('BACKLOG▲');
    await press('S');
    expect(frame()).toContain('BACKLOG▼');
    const rows = frame().split('\n').slice(3);
    expect(rows[0]).toContain('web-01');
    unmount();
  });

  it('opens the selected host with Enter', async () => {
    const { frame, press, unmount } = await renderApp({ view: { kind: 'hosts' } });
    await press('j', KEYS.enter);
    expect(frame()).toContain('files-01 · tier silver');
    await press(KEYS.esc);
    expect(frame()).toContain('Hosts (5)');
    unmount();
  });

  it('filters rows with /web and inverts with /!web', async () => {
    const { frame, press, unmount } = await renderApp({ view: { kind: 'hosts' } });
    await press('/', 'w', 'e', 'b', KEYS.enter);
    expect(frame()).toContain('Hosts (2 of 5)');
    expect(frame()).toContain('web-02');
    expect(frame()).not.toContain('db-01');
    await press(KEYS.esc, '/', '!web', KEYS.enter);
    expect(frame()).toContain('Hosts (3 of 5)');
    expect(frame()).toContain('db-01');
    expect(frame()).not.toContain('web-01');
    await press(KEYS.esc);
    expect(frame()).toContain('Hosts (5)');
    unmount();
  });

  it('starts a backup of the selected host with b', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: { kind: 'hosts' } });
    await press('G', 'b');
    expect(client.callsOf('backup.start')).toEqual([{ method: 'backup.start', params: { host: 'web-02' } }]);
    expect(frame()).toContain('backup queued: job 500 (web-02)');
    unmount();
  });
});
