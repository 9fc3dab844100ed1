import { describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.js';
import { schedules } from './fixtures-ops.js';
import { delay, renderApp, waitFor } from './helpers.js';

function client(): FakeClient {
  const c = new FakeClient();
  c.schedules = schedules();
  return c;
}

describe('Schedules', () => {
  it('opens with :sc and shows next runs in the zone and in UTC, window state and last result', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 30 });
    await press(':sc\r');
    await waitFor(() => frame().includes('nightly-production'));
    const f = frame();
    expect(c.callsOf('schedules.list').length).toBeGreaterThan(0);
    expect(f).toContain('Schedules (2) · 1 windows closed');
    expect(f).toMatch(/nightly-production\s+0 2 \* \* \*\s+10 2025-03-15 02:00 -04:00\s+2025-03-15 06:00Z\s+always\s+succeeded 10h ago/);
    expect(f).toMatch(/dev-daily .* 2025-03-14 22:00Z opens in 10h\s+failed 13h 53m ago/);
    expect(f).toContain('window 22:00-06:00 opens in 10h');
    unmount();
  });

  it('shows the selected schedule\'s queue with priorities and why each job waits', async () => {
    const { frame, press, unmount } = await renderApp({ client: client(), view: { kind: 'schedules' }, columns: 120 });
    // sorted by next run: dev-daily (22:00Z today) first; its queue is empty
    await waitFor(() => frame().includes('nothing queued'));
    await press('j');
    expect(frame()).toContain('queue (1)');
    expect(frame()).toContain('#102   db-01        queued   prio 10 (aged 12.5) · waits: host disconnected');
    expect(frame()).toContain('next: 2025-03-15 02:00 -04:00 (2025-03-15 06:00Z) · 2025-03-16 02:00 -04:00 (2025-03-16 06:00Z)');
    unmount();
  });

  it('runs the selected schedule now only after y', async () => {
    const c = client();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'schedules' }, columns: 120 });
    await waitFor(() => frame().includes('nightly-production'));
    await press('j', 'r');
    expect(frame()).toContain('Run schedule nightly-production now on 2 hosts? Its window does not apply. [y/N]');
    await press('n');
    expect(c.callsOf('schedules.run')).toHaveLength(0);
    await press('r', 'y');
    expect(c.callsOf('schedules.run')).toEqual([{ method: 'schedules.run', params: { name: 'nightly-production' } }]);
    await waitFor(() => frame().includes('nightly-production: queued job 500 (web-01), job 501 (web-02)'));
    unmount();
  });

  it('says before the first automatic maintenance run what it would delete, and then what the last run did', async () => {
    const c = client();
    const auto = { cron: '30 3 * * *', timezone: 'UTC', window: '01:00-06:00', next: '2025-03-15T03:30:00.000Z', waiting: false, phase: null, firstDeletionPending: true, lastRuns: [] };
    c.maintenanceStatus = { task: null, phase: null, done: 0, total: 0, startedAt: null, auto };
    c.maintenancePreview = { now: auto.next, dryRun: true, decisions: [], deleted: [3, 4], consolidated: [], unmanagedHosts: [] };
    const { frame, unmount } = await renderApp({ client: c, view: { kind: 'schedules' }, columns: 160 });
    await waitFor(() => frame().includes('maintenance:'));
    expect(frame()).toContain('maintenance: next 2025-03-15 03:30 UTC (window 01:00-06:00 UTC) · FIRST RUN would delete 2 point(s) (drc maintenance preview)');
    unmount();
    const summary = { retentionAt: auto.next, deleted: [3, 4], consolidated: [], chunksRemoved: 9, bytesFreed: 3 * 1024 * 1024, eventsRemoved: 0, auditRemoved: 0, verifyPoints: [5], verifyJobs: [9] };
    c.maintenanceStatus = { ...c.maintenanceStatus, auto: { ...auto, firstDeletionPending: false, lastRuns: [{ id: 1, origin: 'maintenance', startedAt: auto.next, finishedAt: auto.next, state: 'succeeded', error: null, summary }] } };
    c.maintenancePreview = { ...c.maintenancePreview, deleted: [] };
    const again = await renderApp({ client: c, view: { kind: 'schedules' }, columns: 160 });
    await waitFor(() => again.frame().includes('last run'));
    expect(again.frame()).toContain('would delete 0 point(s) · last run deleted 2, freed 3.0 MiB, verify queued for 1');
    again.unmount();
  });

  it('says when no schedule is configured', async () => {
    const { frame, unmount } = await renderApp({ view: { kind: 'schedules' } });
    await waitFor(() => frame().includes('no schedules configured'));
    unmount();
  });
});

describe('Tasks', () => {
  it('shows why the selected queued job waits, in full, below the table', async () => {
    const { frame, press, unmount } = await renderApp({ view: { kind: 'tasks' }, columns: 80, rows: 24 });
    await press('j');
    expect(frame()).toContain('#102 backup db-01 · schedule:nightly · prio 0 · waits: host disconnected');
    unmount();
  });
});
