// Failback from a qemu failover instance through a real hub, agent and QEMU (one guest boot):
// the guest's writes land in its overlay and in the dirty bitmap the hub added at boot; the
// reverse sync reads just those blocks from the running guest, the cut-over pauses it and
// sends the rest, the source is verified byte-identical to the disk the guest left, then the
// instance stops and its overlay is merged into the DR image.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, RecoveryReport, RunView } from '../../src/protocol/recovery.js';
import { openRound } from '../../src/recovery/qemu/dirty-tracking.js';
import { qmpOnce } from '../../src/recovery/qemu/qmp.js';
import { ROOT } from '../helpers/cluster.js';
import { BS, alive, haveQemu } from './qemu-support.js';
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

  let fo: RunView;
  let inst: InstanceView;
  let qmp: string;
  /** a write of the running guest's disk (into its overlay), through its own disk device (its block backend holds the write permission) */
  const guestWrite = async (offset: string) => {
    const blocks = await qmpOnce<{ qdev?: string; inserted?: { 'node-name'?: string } }[]>(qmp, 'query-block');
    const qdev = blocks.find((b) => b.inserted?.['node-name'] === 'disk-disk')?.qdev;
    expect(qdev).toBeTruthy();
    const out = await qmpOnce<string>(qmp, 'human-monitor-command', { 'command-line': `qemu-io -d ${qdev} "write -P 0x5a ${offset} 64k"` });
    expect(out).not.toMatch(/error|conflict/i);
  };

  it('tracks the instance\'s writes from boot: each round of its bitmap holds only what the guest wrote since the last', async () => {
    const r = await hub.run(['failover', 'h1', '--target', 'prod', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    fo = JSON.parse(r.stdout) as RunView;
    inst = fo.instances[0]!;
    pids.push(inst.pid!);
    qmp = (withCatalog(c.hubData, (db) => db.prepare('SELECT qmp FROM recovered_instances WHERE id = ?').get(inst.id)) as { qmp: string }).qmp;
    await guestWrite('8M');
    const first = await openRound(qmp, inst.dir, 'disk', BS, { overlay: false, bitmap: true });
    expect(first.blocks).toContain(128);
    for await (const b of first.read([128])) expect(b.data.every((x) => x === 0x5a)).toBe(true);
    await first.done();
    await guestWrite('9M');
    const second = await openRound(qmp, inst.dir, 'disk', BS, { overlay: false, bitmap: true });
    // (the guest's own writes may show up too: only ours are known)
    expect(second.blocks).toContain(144);
    expect(second.blocks).not.toContain(128);
    // a round that does not finish keeps its blocks for the next one
    await second.abandon();
    await guestWrite('20M');
    const third = await openRound(qmp, inst.dir, 'disk', BS, { overlay: false, bitmap: true });
    expect(third.blocks).toEqual(expect.arrayContaining([144, 320]));
    expect(third.blocks).not.toContain(128);
    await third.abandon();
    // the overlay holds everything the guest wrote since it booted
    const all = await openRound(qmp, inst.dir, 'disk', BS, { overlay: true, bitmap: false });
    expect(all.blocks).toEqual(expect.arrayContaining([128, 144, 320]));
    await all.abandon();
  }, 120_000);

  it('sends home only the guest\'s writes while it runs, pauses it for the cut-over and leaves the source byte for byte the disk it left', async () => {
    const image = fo.hosts[0]!.points[0]!.image;
    const before = sha256File(image);
    const r = await hub.run(['failback', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v).toMatchObject({ kind: 'failback', state: 'completed' });
    // the pre-check counts the guest's writes from its overlay (the DR image under it is the point)
    expect(Number(/volume disk: (\d+) block\(s\) differ/.exec(r.stderr)?.[1])).toBeGreaterThanOrEqual(3);
    expect(v.steps.find((s) => s.kind === 'precheck')?.detail).toMatch(/written by instance \d+'s guest/);
    expect(v.steps.find((s) => s.kind === 'reverse-sync')?.detail).toMatch(/while instance \d+ runs/);
    expect(v.steps.find((s) => s.kind === 'cutover')?.detail).toMatch(/paused/);
    expect(v.steps.find((s) => s.kind === 'checks')?.detail).toMatch(/stopped, its overlay merged/);
    expect(v.steps.find((s) => s.kind === 'checks')?.detail).toMatch(/cut-over downtime \d+\.\d s/);
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
    expect(rep.wayBack?.downtimeSeconds).toBeGreaterThanOrEqual(0);
    const listed = (await hub.json<InstanceView[]>(['instances', '--all'])).find((i) => i.id === inst.id);
    expect(listed?.state).toBe('stopped');
  }, 180_000);
});
