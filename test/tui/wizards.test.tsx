import { describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.js';
import { drillPreview, precheck, qemuTarget, run, step } from './fixtures-ops.js';
import { ago } from './fixtures.js';
import { KEYS, delay, renderApp, waitFor } from './helpers.js';

function drillClient(): FakeClient {
  const c = new FakeClient();
  c.drillPreview = drillPreview();
  c.startedRun = run(21);
  return c;
}

describe('Drill wizard', () => {
  it('opens the point picker on the newest verified point with d on a host', async () => {
    const { frame, press, unmount } = await renderApp({ client: drillClient(), view: { kind: 'host', host: 'web-01' }, columns: 120 });
    await press('d');
    await waitFor(() => frame().includes('Drill web-01: choose the recovery point'));
    // point 10 is the only verified one: selected although 15 and 11 are newer
    expect(frame()).toMatch(/10 2025-03-13 12:00 root\s+full\s+64.0 MiB ✓/);
    unmount();
  });

  it('shows the RTO forecast, starts only on y, then follows the step checklist and RTO timer', async () => {
    const c = drillClient();
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 30 });
    await press(':drill web-0*\r');
    await waitFor(() => frame().includes('choose the recovery point'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Start drill of web-01, web-02?'));
    expect(c.callsOf('drill.preview')).toEqual([{ method: 'drill.preview', params: { hosts: ['web-01', 'web-02'], point: '10' } }]);
    expect(frame()).toContain('forecast RTO 4m ≤ target 1h ✓ (measured over 3 restores)');
    await press('n');
    expect(c.callsOf('drill.start')).toHaveLength(0);
    await press('s', 'y');
    await waitFor(() => frame().includes('run 21'));
    expect(c.callsOf('drill.start')).toEqual([{ method: 'drill.start', params: { hosts: ['web-01', 'web-02'], point: '10' } }]);
    const f = frame();
    expect(f).toContain('RTO 1m 30s / target 1h within');
    expect(f).toMatch(/✓ prepare target\s+\d\d:\d\d:\d\d\s+2s/);
    expect(f).toMatch(/▶ restore web-01\/root\s+\d\d:\d\d:\d\d\s+1m 28s\s+█+░+\s+50% 1.0 MiB\/s/);
    c.emit({ type: 'run', run: run(21, { state: 'completed', finishedAt: new Date().toISOString(), rto: { actualSeconds: 200, targetSeconds: 3600, pass: true } }) });
    await waitFor(() => frame().includes('record the verdict: p pass · f fail · report 21'));
    expect(frame()).toContain('RTO 3m 20s / target 1h ✓ met');
    unmount();
  });

  it('records the operator\'s verdict and notes, then shows the report id', async () => {
    const c = drillClient();
    c.startedRun = run(21, { state: 'completed', rto: { actualSeconds: 200, targetSeconds: 3600, pass: true } });
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'drill', hosts: ['web-01'] }, columns: 120 });
    await waitFor(() => frame().includes('choose the recovery point'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Start drill'));
    await press('y');
    await waitFor(() => frame().includes('record the verdict'));
    await press('p');
    expect(frame()).toContain('drill 21 verdict pass — notes (optional):');
    await press('o', 'k', KEYS.enter);
    expect(c.callsOf('drill.verdict')).toEqual([{ method: 'drill.verdict', params: { id: 21, verdict: 'pass', notes: 'ok' } }]);
    await waitFor(() => frame().includes('verdict pass by the operator: ok · report 21'));
    unmount();
  });
});

describe('Drill wizard on a qemu target', () => {
  it('offers instant recovery off by default; i turns it on, the question says so and the start asks for it', async () => {
    const c = drillClient();
    c.drillPreview = { ...drillPreview(), target: qemuTarget };
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'drill', hosts: ['web-01'] }, columns: 120, rows: 30 });
    await waitFor(() => frame().includes('choose the recovery point'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Start drill of web-01?'));
    expect(frame()).toContain('instant recovery off: full restore, then boot on vm');
    await press('n', 'i');
    expect(frame()).toContain('instant recovery ON: boots on vm from the point over NBD at once, full restore behind');
    await press('s');
    expect(frame()).toContain('Start drill of web-01 with instant recovery?');
    await press('y');
    await waitFor(() => frame().includes('run 21'));
    expect(c.callsOf('drill.start')).toEqual([{ method: 'drill.start', params: { hosts: ['web-01'], point: '10', instant: true } }]);
    unmount();
  });

  it('refuses instant recovery on a target that boots nothing', async () => {
    const c = drillClient();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'drill', hosts: ['web-01'] }, columns: 120 });
    await waitFor(() => frame().includes('choose the recovery point'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Start drill of web-01?'));
    await press('n', 'i');
    expect(frame()).toContain('instant recovery boots the point on a qemu target; the default target is a directory target');
    expect(frame()).not.toContain('instant recovery ON');
    unmount();
  });

  it('shows the boot check live while the guest boots, and the boot time under the RTO at the end', async () => {
    const c = drillClient();
    const booting = step(3, { kind: 'checks', host: 'web-01', title: 'check web-01', state: 'running', startedAt: ago(4), progress: { doneBytes: 0, totalBytes: 0, rate: 0, activity: { text: 'booting', since: ago(3) } } });
    c.startedRun = run(21, { target: qemuTarget, steps: [...run(21).steps.slice(0, 1), step(1, { kind: 'start', title: 'power web-01 on', state: 'succeeded', startedAt: ago(6), finishedAt: ago(4), durationMs: 2000 }), booting] });
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'drill', hosts: ['web-01'] }, columns: 120, rows: 30 });
    await waitFor(() => frame().includes('choose the recovery point'));
    await press(KEYS.enter);
    await waitFor(() => frame().includes('Start drill'));
    await press('y');
    await waitFor(() => frame().includes('run 21'));
    expect(frame()).toMatch(/▶ check web-01\s+\d\d:\d\d:\d\d\s+4s\s+booting… 3s/);
    expect(frame()).not.toContain('power-on → boot check passed');
    const done = { ...booting, state: 'succeeded' as const, finishedAt: ago(0), durationMs: 4000, progress: null, detail: 'boot check passed in 6.2 s · booted pass, screenshot pass' };
    c.emit({ type: 'run', run: run(21, { target: qemuTarget, state: 'completed', finishedAt: ago(0), bootSeconds: 6.2, rto: { actualSeconds: 90, targetSeconds: 3600, pass: true }, steps: [done] }) });
    await waitFor(() => frame().includes('record the verdict'));
    const f = frame();
    expect(f).toContain('boot 6.2 s (power-on → boot check passed)');
    expect(f.indexOf('RTO 1m 30s')).toBeLessThan(f.indexOf('boot 6.2 s'));
    expect(f).toMatch(/✓ check web-01 .* boot check passed in 6\.2 s/);
    unmount();
  });
});

function failoverClient(ready = true): FakeClient {
  const c = new FakeClient();
  c.precheck = precheck(ready);
  c.startedRun = run(31, { kind: 'failover' });
  return c;
}

describe('Failover wizard', () => {
  it('shows each pre-check gate with its detail, then starts only when the host name is typed', async () => {
    const c = failoverClient();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'host', host: 'web-01' }, columns: 120 });
    await press('F');
    await waitFor(() => frame().includes('FAILOVER web-01: type the host name to confirm'));
    const f = frame();
    expect(f).toMatch(/✓ pass point\s+point 10 of root, 1d old/);
    expect(f).toMatch(/! warn link\s+agent still connected: fence it first/);
    await press('y', KEYS.enter);
    expect(frame()).toContain('refused: "y" is not "web-01" — nothing started');
    expect(c.callsOf('failover.start')).toHaveLength(0);
    await press(KEYS.enter, ...'web-01'.split(''), KEYS.enter);
    expect(c.callsOf('failover.start')).toEqual([{ method: 'failover.start', params: { host: 'web-01', confirm: 'web-01' } }]);
    await waitFor(() => frame().includes('Failover web-01 · run 31'));
    expect(frame()).toContain('RTO 1m 30s / target 1h within');
    c.emit({ type: 'run', run: run(31, { kind: 'failover', state: 'completed', finishedAt: new Date().toISOString() }) });
    await waitFor(() => frame().includes('takeover completed · report 31'));
    unmount();
  });

  it('starts with instant recovery on a qemu target only when toggled with i, and says so in the prompt', async () => {
    const c = failoverClient();
    c.precheck = { ...precheck(true), target: qemuTarget };
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'failover', host: 'web-01' }, columns: 120 });
    await waitFor(() => frame().includes('FAILOVER web-01: type the host name to confirm'));
    expect(frame()).toContain('instant recovery off: full restore, then boot on vm');
    await press(KEYS.esc);
    await delay(20);
    await press('i');
    expect(frame()).toContain('instant recovery ON');
    await press(KEYS.enter);
    expect(frame()).toContain('FAILOVER web-01 with instant recovery: type the host name to confirm');
    await press(...'web-01'.split(''), KEYS.enter);
    expect(c.callsOf('failover.start')).toEqual([{ method: 'failover.start', params: { host: 'web-01', confirm: 'web-01', instant: true } }]);
    unmount();
  });

  it('refuses to start when a blocking gate failed', async () => {
    const c = failoverClient(false);
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120 });
    await press(':failover web-01\r');
    await waitFor(() => frame().includes('blocked by verified: the failover cannot start'));
    expect(frame()).toMatch(/✕ FAIL verified\s+point 10 never verified/);
    await press(KEYS.enter);
    expect(frame()).toContain('failover of web-01 blocked by its pre-check');
    expect(c.callsOf('failover.start')).toHaveLength(0);
    unmount();
  });

  it('cannot be opened from a read-only cockpit, by key or command', async () => {
    const c = failoverClient();
    const { frame, press, unmount } = await renderApp({ client: c, view: { kind: 'host', host: 'web-01' }, readonly: true });
    await press('F');
    expect(frame()).toContain('read-only: actions disabled');
    await press(':failover web-01\r');
    await waitFor(() => frame().includes('read-only: actions disabled'));
    expect(frame()).not.toContain('Pre-check');
    expect(c.callsOf('failover.precheck')).toHaveLength(0);
    unmount();
  });
});

describe('Reports', () => {
  it('lists reports with kind, hosts, time and verdict', async () => {
    const c = new FakeClient();
    const { reports } = await import('./fixtures-ops.js');
    c.reports = reports();
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120 });
    await press(':reports\r');
    await waitFor(() => frame().includes('Reports (2)'));
    expect(frame()).toMatch(/8 takeover db-01\s+.*failed/);
    expect(frame()).toMatch(/7 drill\s+web-01\s+.*pass\s+3m 20s\/1h ✓/);
    unmount();
  });

  it('opens a report\'s summary with Enter, asked once from the hub', async () => {
    const c = new FakeClient();
    const { reports, report } = await import('./fixtures-ops.js');
    c.reports = reports();
    c.report = report(7);
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120, rows: 30 });
    await press(':reports\r');
    await waitFor(() => frame().includes('Reports (2)'));
    await press('j', KEYS.enter);
    await waitFor(() => frame().includes('Drill 7 of web-01'));
    expect(frame()).toContain('verdict pass (operator)');
    expect(frame()).toContain('checks: 1/1 passed');
    expect(c.callsOf('reports.get')).toEqual([{ method: 'reports.get', params: { id: 7 } }]);
    unmount();
  });
});

describe('Failover wizard opened again', () => {
  it('waits for a fresh pre-check instead of trusting the one from the last opening', async () => {
    const c = failoverClient(false);
    const { frame, press, unmount } = await renderApp({ client: c, columns: 120 });
    await press(':failover web-01\r');
    await waitFor(() => frame().includes('blocked by verified'));
    await press(KEYS.esc);
    c.precheck = precheck(true);
    await press(':failover web-01\r');
    await waitFor(() => frame().includes('FAILOVER web-01: type the host name to confirm'));
    expect(c.callsOf('failover.precheck')).toHaveLength(2);
    unmount();
  });
});
