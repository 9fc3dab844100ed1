import { describe, expect, it } from 'vitest';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

const tasks = { kind: 'tasks' } as const;
const line = (frame: string, text: string): string => frame.split('\n').find((l) => l.includes(text)) ?? '';

describe('Tasks view', () => {
  it('shows running tasks with progress, rate and ETA, queued ones with why, failed ones with the error', async () => {
    const { frame, unmount } = await renderApp({ view: tasks, columns: 120 });
    expect(line(frame(), ' 101 ')).toMatch(/running\s+█████▌░░░░░\s+50%\s+10.0 MiB\/s\s+51s/);
    expect(line(frame(), ' 102 ')).toMatch(/queued .*host disconnected/);
    expect(line(frame(), ' 104 ')).toMatch(/failed .*agent timed out after 300s/);
    expect(line(frame(), ' 103 ')).toContain('point 12');
    const order = ['101', '102', '105', '104', '103'].map((id) => frame().indexOf(` ${id} `));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    unmount();
  });

  it('cancels a running task only after y', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: tasks });
    await press('c');
    expect(frame()).toContain('Cancel task 101 (backup of web-01)? [y/N]');
    await press(KEYS.esc);
    expect(client.callsOf('job.cancel')).toHaveLength(0);
    await press('c', 'y');
    expect(client.callsOf('job.cancel')).toEqual([{ method: 'job.cancel', params: { id: 101 } }]);
    await waitFor(() => frame().includes('task 101 cancelled'));
    unmount();
  });

  it('retries a failed task with R and refuses to retry a running one', async () => {
    const { frame, press, client, unmount } = await renderApp({ view: tasks });
    await press('R');
    expect(client.callsOf('job.retry')).toHaveLength(0);
    expect(frame()).toContain('only failed or cancelled tasks are retried');
    await press('j', 'j', 'j', 'R');
    expect(client.callsOf('job.retry')).toEqual([{ method: 'job.retry', params: { id: 104 } }]);
    unmount();
  });

  it('opens the host of the selected task with Enter', async () => {
    const { frame, press, unmount } = await renderApp({ view: tasks });
    await press('j', KEYS.enter);
    expect(frame()).toContain('db-01 · tier gold');
    unmount();
  });
});
