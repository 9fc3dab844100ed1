// The day-to-day job work from the CLI: list tasks, cancel and retry one; a backup of a
// host whose agent is away says why it waits and gives up at --timeout; a backup of a
// revoked host is refused at once with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/protocol/operator.js';
import { HubProc, drc } from '../helpers/cluster.js';
import { Cluster, waitFor } from './support.js';

describe('tasks from the CLI', () => {
  const c = new Cluster();
  let hub: HubProc;

  beforeAll(async () => {
    hub = await c.startHub();
    await hub.addHost('away');
    await hub.addHost('gone');
  });
  afterAll(() => c.stop());

  it('says why a backup of a disconnected host waits, and fails at --timeout', async () => {
    const t0 = Date.now();
    const r = await hub.run(['backup', 'away', '--wait', '--timeout', '2s']);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^backup away: job \d+ waiting: agent of away is not connected$/);
    expect(lines[lines.length - 1]).toMatch(/^drc: backup away: job \d+ still queued after 2 s; waiting: agent of away is not connected/);
  });

  it('lists tasks as JSON, cancels a queued one and retries it', async () => {
    const tasks = await hub.json<JobView[]>(['tasks']);
    const queued = tasks.find((j) => j.host === 'away' && j.state === 'queued')!;
    expect(queued).toBeDefined();
    expect(queued.waitReason).toMatch(/not connected/);
    const cancelled = await hub.json<JobView>(['tasks', 'cancel', String(queued.id)]);
    expect(cancelled).toMatchObject({ id: queued.id, state: 'cancelled' });
    const again = await hub.json<JobView>(['tasks', 'retry', String(queued.id)]);
    expect(again.id).not.toBe(queued.id);
    expect(again).toMatchObject({ host: 'away', kind: 'backup', state: 'queued' });
    const human = await hub.run(['tasks', '--state', 'cancelled']);
    expect(human.stdout).toMatch(new RegExp(`^${queued.id}\\s+backup/incremental\\s+away\\s+cancelled`, 'm'));
  });

  it('refuses to cancel a finished task in one line', async () => {
    const tasks = await hub.json<JobView[]>(['tasks', '--state', 'cancelled']);
    const r = await hub.run(['tasks', 'cancel', String(tasks[0]!.id)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`drc: job ${tasks[0]!.id} is cancelled; nothing to cancel\n`);
  });

  it('refuses a backup of a revoked host at once, with the reason', async () => {
    expect((await hub.run(['hosts', 'revoke', 'gone'])).code).toBe(0);
    const r = await hub.run(['backup', 'gone', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('drc: host gone is revoked; its agent cannot connect (drc hosts add gone issues a new token)\n');
    const tasks = await hub.json<JobView[]>(['tasks', '--host', 'gone']);
    expect(tasks).toEqual([]);
  });

  it('says in one line, without a stack trace, that the hub went away during backup --wait', async () => {
    const waiting = drc(['backup', 'away', '--wait', '--data', hub.dataDir]);
    await waitFor('the backup to be queued', async () => (await hub.json<JobView[]>(['tasks', '--state', 'queued'])).length >= 2);
    await hub.stop();
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^drc: lost the hub connection while waiting for job \d+ \(queued\)$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
