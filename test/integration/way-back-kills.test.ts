// A failback survives a hub SIGKILL at every one of its steps: for each step the hub dies
// right after the step's start is in the catalog, and the restarted hub resumes the run from
// that step (waiting for the source agent to reconnect), never repeats a finished one, and
// brings the host home byte-identical to the DR image, un-fenced, replicating incrementally.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_CRASH_ENV } from '../../src/hub/test-hooks.js';
import type { HostView } from '../../src/protocol/operator.js';
import { drc, makeImage, rewriteBlocks } from '../helpers/cluster.js';
import { Cluster, PinnedHubProc, backupOk, freePort, lastRun, points, runSteps, sha256File, waitFor, withCatalog } from './support.js';

const STEPS = ['precheck', 'reverse-sync', 'cutover', 'checks', 'switch', 'unfence', 'complete'] as const;

describe('a failback killed at each step', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  const image = () => path.join(hub.dataDir, 'failover', 'h1', 'h1-disk.img');

  const connected = () =>
    waitFor('h1 connected', async () => (await hub.json<HostView[]>(['hosts'])).find((h) => h.name === 'h1')?.link === 'connected', 30_000);

  /** restart the hub, dying at `crashAt` when given */
  async function restart(crashAt?: string): Promise<void> {
    await hub.stop();
    if (crashAt) process.env[STEP_CRASH_ENV] = crashAt;
    try {
      await hub.start();
    } finally {
      delete process.env[STEP_CRASH_ENV];
    }
    await connected();
  }

  beforeAll(async () => {
    fs.writeFileSync(c.file('drc.yaml'), ['recovery:', '  switch:', `    command: echo "$DRC_DIRECTION $DRC_HOST" >> ${c.file('switch.log')}`, ''].join('\n'));
    hub = new PinnedHubProc(c.hubData, await freePort(), ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    const r = await hub.json<{ token: string }>(['hosts', 'add', 'h1']);
    makeImage(c.file('h1.img'), 4);
    await c.startAgent(hub, 'h1', r.token, { disk: c.file('h1.img') });
    await backupOk(hub, 'h1', true);
  });

  afterAll(() => c.stop());

  it.each(STEPS.map((step) => ({ step })))('resumes after a kill at the start of $step and brings the host home byte-identical', async ({ step }) => {
    const at = step;
    await hub.json(['failover', 'h1', '--confirm', 'h1']);
    rewriteBlocks(image(), 3);
    const before = lastRun(hub.dataDir, 'failback')?.id ?? 0;
    await restart(`failback:${at}`);
    const cli = drc(['failback', 'h1', '--confirm', 'h1', '--json', '--data', hub.dataDir]);
    await waitFor(`the hub to die at failback step ${at}`, () => hub.proc.signalCode === 'SIGKILL', 60_000);
    expect((await cli).code).not.toBe(0);
    const run = lastRun(hub.dataDir, 'failback');
    expect(run && run.id > before).toBe(true);
    const killed = runSteps(hub.dataDir, run!.id);
    const k = STEPS.indexOf(step);
    expect(killed[k]!.state).toBe('running');
    expect(killed.slice(0, k).every((s) => s.state === 'succeeded')).toBe(true);

    await hub.start();
    await waitFor('the resumed failback to end', () => lastRun(hub.dataDir, 'failback')?.state !== 'running', 60_000);
    expect(lastRun(hub.dataDir, 'failback')?.state, JSON.stringify(withCatalog(hub.dataDir, (db) => db.prepare('SELECT kind, state, attempts, error FROM recovery_steps WHERE run_id = ? ORDER BY idx').all(run!.id)))).toBe('completed');
    const after = runSteps(hub.dataDir, run!.id);
    expect(after.map((s) => `${s.kind}:${s.state}:${s.attempts}`)).toEqual(STEPS.map((s, i) => `${s}:succeeded:${i === k ? 2 : 1}`));
    // finished steps kept their start: they did not run again
    for (let i = 0; i < k; i++) expect(after[i]!.started_at).toBe(killed[i]!.started_at);
    expect(sha256File(c.file('h1.img'))).toBe(sha256File(image()));
    await connected();
    const h1 = (await hub.json<(HostView & { failedOver: boolean })[]>(['hosts'])).find((h) => h.name === 'h1');
    expect(h1?.failedOver).toBe(false);
    // the source replicates again, from an incremental
    await backupOk(hub, 'h1');
    expect((await points(hub, 'h1')).at(-1)!.type).toBe('incremental');
  }, 180_000);
});
