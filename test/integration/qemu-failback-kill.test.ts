// A failback from a qemu failover instance survives a hub SIGKILL between the reverse sync and
// the cut-over (one guest boot): the instance keeps running while the hub is down, the
// restarted hub reattaches it and resumes the run at the cut-over without redoing the
// reverse sync, pauses and stops the guest, and the source ends byte for byte the disk it left.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_CRASH_ENV } from '../../src/hub/test-hooks.js';
import type { HostView } from '../../src/protocol/operator.js';
import type { RunView } from '../../src/protocol/recovery.js';
import { qmpOnce } from '../../src/recovery/qemu/qmp.js';
import { ROOT, drc } from '../helpers/cluster.js';
import { alive, haveQemu } from './qemu-support.js';
import { Cluster, PinnedHubProc, backupOk, freePort, lastRun, points, runSteps, sha256File, waitFor, withCatalog } from './support.js';

describe.skipIf(!haveQemu)('a qemu-instance failback killed before its cut-over', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  const source = c.file('h1.img');
  const pids: number[] = [];

  beforeAll(async () => {
    const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [source], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
    fs.writeFileSync(c.file('drc.yaml'), ['targets:', `  - { name: prod, type: qemu, purpose: failover, path: ${c.file('prod')}, memory: 256, network: user }`, ''].join('\n'));
    hub = new PinnedHubProc(c.hubData, await freePort(), ['--config', c.file('drc.yaml')]);
    // this hub dies when a failback starts its cut-over (the failover before runs through)
    process.env[STEP_CRASH_ENV] = 'failback:cutover';
    try {
      await c.startHub(hub);
    } finally {
      delete process.env[STEP_CRASH_ENV];
    }
    const r = await hub.json<{ token: string }>(['hosts', 'add', 'h1']);
    await c.startAgent(hub, 'h1', r.token, { disk: source });
    await backupOk(hub, 'h1', true);
  }, 120_000);

  afterAll(async () => {
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    await c.stop();
  });

  it('resumes at the cut-over after the restart, reattaching the running instance, and brings the host home byte-identical', async () => {
    const r = await hub.run(['failover', 'h1', '--target', 'prod', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const fo = JSON.parse(r.stdout) as RunView;
    const inst = fo.instances[0]!;
    pids.push(inst.pid!);
    const image = fo.hosts[0]!.points[0]!.image;
    const qmp = (withCatalog(c.hubData, (db) => db.prepare('SELECT qmp FROM recovered_instances WHERE id = ?').get(inst.id)) as { qmp: string }).qmp;
    const blocks = await qmpOnce<{ qdev?: string; inserted?: { 'node-name'?: string } }[]>(qmp, 'query-block');
    const qdev = blocks.find((b) => b.inserted?.['node-name'] === 'disk-disk')?.qdev;
    for (const at of ['8M', '20M']) await qmpOnce<string>(qmp, 'human-monitor-command', { 'command-line': `qemu-io -d ${qdev} "write -P 0x5a ${at} 64k"` });

    const cli = drc(['failback', 'h1', '--confirm', 'h1', '--json', '--data', hub.dataDir]);
    await waitFor('the hub to die at the failback cut-over', () => hub.proc.signalCode === 'SIGKILL', 90_000);
    expect((await cli).code).not.toBe(0);
    const run = lastRun(hub.dataDir, 'failback')!;
    const killed = runSteps(hub.dataDir, run.id);
    expect(killed.slice(0, 3).map((s) => `${s.kind}:${s.state}`)).toEqual(['precheck:succeeded', 'reverse-sync:succeeded', 'cutover:running']);
    // the guest runs on while the hub is down
    expect(alive(inst.pid!)).toBe(true);

    await hub.start();
    await waitFor('the resumed failback to end', () => lastRun(hub.dataDir, 'failback')?.state !== 'running', 120_000);
    const after = runSteps(hub.dataDir, run.id);
    expect(lastRun(hub.dataDir, 'failback')?.state, JSON.stringify(withCatalog(hub.dataDir, (db) => db.prepare('SELECT kind, state, error FROM recovery_steps WHERE run_id = ?').all(run.id)))).toBe('completed');
    expect(after.map((s) => `${s.kind}:${s.state}:${s.attempts}`)).toEqual([
      // (no switch hook configured: the switch is skipped)
      'precheck:succeeded:1', 'reverse-sync:succeeded:1', 'cutover:succeeded:2', 'checks:succeeded:1', 'switch:skipped:1', 'unfence:succeeded:1', 'complete:succeeded:1',
    ]);
    // the reverse sync did not run again
    for (let i = 0; i < 2; i++) expect(after[i]!.started_at).toBe(killed[i]!.started_at);
    await waitFor('the instance to stop', () => !alive(inst.pid!), 30_000);
    expect(sha256File(source)).toBe(sha256File(image));
    // the guest's writes came home
    const fd = fs.openSync(source, 'r');
    const b = Buffer.alloc(65536);
    fs.readSync(fd, b, 0, b.length, 20 << 20);
    fs.closeSync(fd);
    expect(b.every((x) => x === 0x5a)).toBe(true);
    const h1 = (await hub.json<HostView[]>(['hosts'])).find((h) => h.name === 'h1');
    expect(h1?.failedOver).toBe(false);
    await waitFor('h1 connected', async () => (await hub.json<HostView[]>(['hosts'])).find((h) => h.name === 'h1')?.link === 'connected', 30_000);
    await backupOk(hub, 'h1');
    expect((await points(hub, 'h1')).at(-1)!.type).toBe('incremental');
  }, 300_000);
});
