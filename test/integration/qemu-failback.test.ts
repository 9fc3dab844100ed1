// Failback from a qemu failover instance through a real hub, agent and QEMU (one guest boot):
// the guest's writes land in its overlay; the failback stops the instance at the cut-over,
// merges the overlay into the DR image, sends home only the blocks that differ, leaves the
// source byte-identical to the disk the guest left, and keeps the instance as stopped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, RecoveryReport, RunView } from '../../src/protocol/recovery.js';
import { qmpOnce } from '../../src/recovery/qemu/qmp.js';
import { ROOT } from '../helpers/cluster.js';
import { alive, haveQemu } from './qemu-support.js';
import { Cluster, PinnedHubProc, backupOk, freePort, sha256File, withCatalog } from './support.js';


describe.skipIf(!haveQemu)('failback from a qemu failover instance', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  const source = c.file('h1.img');
  const pids: number[] = [];

  beforeAll(async () => {
    const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [source], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
    fs.writeFileSync(
      c.file('drc.yaml'),
      ['targets:', `  - { name: prod, type: qemu, purpose: failover, path: ${c.file('prod')}, memory: 256, network: user }`, ''].join('\n'),
    );
    hub = new PinnedHubProc(c.hubData, await freePort(), ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    const r = await hub.json<{ token: string }>(['hosts', 'add', 'h1']);
    await c.startAgent(hub, 'h1', r.token, { disk: source });
    await backupOk(hub, 'h1', true);
  }, 120_000);

  afterAll(async () => {
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    await c.stop();
  });

  it('stops the instance, merges its overlay and brings the guest\'s writes home byte for byte', async () => {
    const fo = await hub.run(['failover', 'h1', '--target', 'prod', '--confirm', 'h1', '--json']);
    expect(fo.code, fo.stderr).toBe(0);
    const inst = (JSON.parse(fo.stdout) as RunView).instances[0]!;
    pids.push(inst.pid!);
    const qmp = (withCatalog(c.hubData, (db) => db.prepare('SELECT qmp FROM recovered_instances WHERE id = ?').get(inst.id)) as { qmp: string }).qmp;
    // writes the running guest's disk takes (into its overlay): 3 blocks of 64 KiB
    // through the guest's own disk device (its block backend holds the write permission)
    const blocks = await qmpOnce<{ qdev?: string; inserted?: { 'node-name'?: string } }[]>(qmp, 'query-block');
    const qdev = blocks.find((b) => b.inserted?.['node-name'] === 'disk-disk')?.qdev;
    expect(qdev).toBeTruthy();
    for (const off of ['8M', '9M', '20M']) {
      const out = await qmpOnce<string>(qmp, 'human-monitor-command', { 'command-line': `qemu-io -d ${qdev} "write -P 0x5a ${off} 64k"` });
      expect(out).not.toMatch(/error|conflict/i);
    }
    const image = (JSON.parse(fo.stdout) as RunView).hosts[0]!.points[0]!.image;
    const before = sha256File(image);
    const r = await hub.run(['failback', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v).toMatchObject({ kind: 'failback', state: 'completed' });
    expect(v.steps.find((s) => s.kind === 'reverse-sync')?.detail).toMatch(/while instance \d+ runs/);
    expect(v.steps.find((s) => s.kind === 'cutover')?.detail).toMatch(/paused/);
    expect(v.steps.find((s) => s.kind === 'checks')?.detail).toMatch(/stopped, its overlay merged/);
    expect(alive(inst.pid!)).toBe(false);
    expect(sha256File(image)).not.toBe(before);
    expect(sha256File(source)).toBe(sha256File(image));
    const fd = fs.openSync(source, 'r');
    const b = Buffer.alloc(65536);
    fs.readSync(fd, b, 0, b.length, 20 << 20);
    fs.closeSync(fd);
    expect(b.every((x) => x === 0x5a)).toBe(true);
    await hub.json(['report', 'export', String(v.id), '--format', 'json', '--out', c.file('failback.json')]);
    const rep = JSON.parse(fs.readFileSync(c.file('failback.json'), 'utf8')) as RecoveryReport;
    expect(rep.wayBack?.blocksSent).toBeGreaterThanOrEqual(3);
    expect(rep.wayBack?.blocksSent).toBeLessThanOrEqual(8);
    const listed = (await hub.json<InstanceView[]>(['instances', '--all'])).find((i) => i.id === inst.id);
    expect(listed?.state).toBe('stopped');
  }, 180_000);
});
