// Drills and failovers that boot what they recover: the guest from scripts/make-guest-image.sh
// (MBR, SYSLINUX, kernel, busybox httpd) backed up by a real agent, restored by a real hub and
// booted by qemu from its own disk; instant recovery from the hub's NBD export; instances
// listed, stopped, and a failover instance found again after the hub is SIGKILLed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import type { InstanceView, RunView } from '../../src/protocol/recovery.js';
import { ROOT } from '../helpers/cluster.js';
import { alive, allocatedBytes, haveQemu } from './qemu-support.js';
import { Cluster, PinnedHubProc, backupOk, freePort, packDir, points, sha256File, waitFor, withCatalog } from './support.js';


describe.skipIf(!haveQemu)('qemu targets boot the recovered guest', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  let port: number;
  const guest = c.file('guest.img');
  let drill: RunView;
  let fixedPort = 0;
  const pids: number[] = [];

  beforeAll(async () => {
    fixedPort = await freePort();
    const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [guest], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
    fs.copyFileSync(guest, c.file('broken.img'));
    // the MBR is there but the partition's boot loader is gone: the guest never boots
    const fd = fs.openSync(c.file('broken.img'), 'r+');
    fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, 1 << 20);
    fs.closeSync(fd);
    fs.writeFileSync(
      c.file('drc.yaml'),
      [
        'targets:',
        '  - { name: vm, type: qemu, purpose: drill, path: ' + c.file('vms') + ', memory: 256 }',
        '  - { name: nobin, type: qemu, purpose: drill, path: ' + c.file('nobin') + ', binary: /nonexistent/qemu-system-x86_64 }',
        '  - { name: prod, type: qemu, purpose: failover, path: ' + c.file('prod') + ', memory: 256, network: user }',
        '  - { name: both, type: qemu, purpose: both, path: ' + c.file('both') + ', memory: 256, network: user }',
        '  - { name: huge, type: qemu, purpose: drill, path: ' + c.file('huge') + ', memory: 64TiB }',
        `  - { name: fixed, type: qemu, purpose: drill, path: ${c.file('fixed')}, memory: 256, ports: ["${fixedPort}:80"] }`,
        'checks:',
        '  - { name: booted, kind: boot, console: "drc-guest: booted", timeout: 90s, hosts: [h1] }',
        '  - { name: booted-fast, kind: boot, console: "drc-guest: booted", timeout: 8s, hosts: [h2] }',
        '  - { name: web, type: http, url: "http://guest/", timeout: 10s, hosts: [h1] }',
        '',
      ].join('\n'),
    );
    port = await freePort();
    hub = new PinnedHubProc(c.hubData, port, ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    for (const [h, img] of [['h1', guest], ['h2', c.file('broken.img')]] as const) {
      const r = await hub.json<{ token: string }>(['hosts', 'add', h]);
      await c.startAgent(hub, h, r.token, { disk: img });
      await backupOk(hub, h, true);
    }
  }, 120_000);

  afterAll(async () => {
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    await c.stop();
  });

  it('boots the restored guest from its own disk, passes the boot check and an HTTP probe to the guest, and measures the boot time', async () => {
    const r = await hub.run(['drill', 'h1', '--target', 'vm', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    drill = JSON.parse(r.stdout) as RunView;
    expect(drill).toMatchObject({ state: 'completed', verdict: 'pass', instant: false });
    expect(drill.steps.map((s) => s.kind)).toEqual(['prepare', 'restore', 'start', 'checks', 'complete']);
    const checks = drill.steps.flatMap((s) => s.checks);
    expect(checks.filter((x) => x.type !== 'digest').map((x) => `${x.name}:${x.status}`)).toEqual(['booted:pass', 'web:pass', 'screenshot:pass']);
    expect(checks.find((x) => x.name === 'web')!.detail).toContain('HTTP 200');
    expect(drill.bootSeconds).toBeGreaterThan(0);
    expect(drill.bootSeconds!).toBeLessThanOrEqual(drill.rto.actualSeconds!);
    expect(drill.instances).toHaveLength(1);
    expect(drill.instances[0]).toMatchObject({ kind: 'drill', host: 'h1', state: 'running', network: 'isolated' });
    pids.push(drill.instances[0]!.pid!);
    // the restored image stays as the point was: the guest writes to its overlay
    expect(sha256File(drill.hosts[0]!.points[0]!.image)).toBe(sha256File(guest));
    // the point the guest booted from carries the booted rung of its ladder
    const booted = (await points(hub, 'h1')).find((p) => p.id === drill.hosts[0]!.points[0]!.pointId)!;
    expect(booted.provenance.booted).toMatchObject({ run: drill.id });
    expect(booted.provenance.appChecked).toMatchObject({ run: drill.id });
  }, 180_000);

  it('writes the boot time, the console up to the boot check and the screenshot into the HTML report', async () => {
    const out = c.file('drill.html');
    const r = await hub.run(['report', 'export', String(drill.id), '--format', 'html', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('booted and checked');
    expect(html).toMatch(/Boot \(power-on → boot check passed\)/);
    expect(html).toContain('drc-guest: booted');
    expect(html).toMatch(/<img alt="screenshot of h1" src="data:image\/png;base64,iVBORw0KGgo/);
  });

  it('boots an instant drill from the NBD export before the full restore, then switches the running guest to the restored disk', async () => {
    const r = await hub.run(['drill', 'h1', '--target', 'vm', '--instant', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v).toMatchObject({ state: 'completed', verdict: 'pass', instant: true });
    expect(v.steps.map((s) => `${s.kind}:${s.state}`)).toEqual(['prepare:succeeded', 'start:succeeded', 'checks:succeeded', 'restore:succeeded', 'attach:succeeded', 'complete:succeeded']);
    const start = v.steps.find((s) => s.kind === 'start')!;
    const restore = v.steps.find((s) => s.kind === 'restore')!;
    const checks = v.steps.find((s) => s.kind === 'checks')!;
    expect(Date.parse(checks.finishedAt!)).toBeLessThanOrEqual(Date.parse(restore.startedAt!));
    expect(start.detail).toContain('NBD');
    const inst = v.instances[0]!;
    pids.push(inst.pid!);
    expect(inst.disk).toBe('local');
    // the guest still answers after its disk was switched under it
    const res = await fetch(`http://127.0.0.1:${inst.ports[0]!.host}/`);
    expect(await res.text()).toContain('drc-guest drc-guest-marker');
    expect(alive(inst.pid!)).toBe(true);
  }, 180_000);

  it('refuses a drill on a qemu target whose emulator is missing with one line naming the package, leaving no drill directory', async () => {
    const r = await hub.run(['drill', 'h1', '--target', 'nobin', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('apt-get install qemu-system-x86');
    expect(fs.existsSync(c.file('nobin'))).toBe(false);
  });

  it('lists the running instances and stops a drill instance without confirmation', async () => {
    const list = await hub.json<InstanceView[]>(['instances']);
    expect(list.map((i) => `${i.host}:${i.kind}:${i.state}`)).toEqual(['h1:drill:running', 'h1:drill:running']);
    expect(new Set(list.flatMap((i) => i.ports.map((p) => p.host))).size).toBe(2);
    // where each forward listens: a drill's on loopback only
    expect(list.map((i) => i.bindAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect((await hub.run(['instances'])).stdout).toContain(`127.0.0.1:${list[0]!.ports[0]!.host}→80`);
    const con = await hub.run(['instances', 'console', String(list[0]!.id)]);
    expect(con.stdout).toContain('drc-guest: booted');
    const stopped = await hub.json<InstanceView>(['instances', 'stop', String(list[0]!.id)]);
    expect(stopped.state).toBe('stopped');
    expect(alive(list[0]!.pid!)).toBe(false);
  });

  it('runs a drill isolated on a target whose network is for failovers, and says so', async () => {
    const r = await hub.run(['drill', 'h1', '--target', 'both', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v.steps.find((s) => s.kind === 'start')?.detail).toContain("network isolated (a drill: not the target's user)");
    const inst = v.instances[0]!;
    expect(inst.network).toBe('isolated');
    expect(fs.readFileSync(`/proc/${inst.pid}/cmdline`, 'utf8')).toContain('restrict=on');
    await hub.run(['drill', 'cleanup', String(v.id)]);
    expect(alive(inst.pid!)).toBe(false);
  });

  it('fails a drill whose target port is taken before it restores anything, naming the port', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(fixedPort, '127.0.0.1', r));
    try {
      const r = await hub.run(['drill', 'h1', '--target', 'fixed', '--yes', '--json']);
      expect(r.code).toBe(1);
      const v = JSON.parse(r.stdout) as RunView;
      const prepare = v.steps.find((s) => s.kind === 'prepare')!;
      expect(prepare.state).toBe('failed');
      expect(prepare.error).toBe(`port ${fixedPort} on 127.0.0.1 is in use by another process: the drill's instance could not forward it`);
      expect(v.steps.filter((s) => s.kind === 'restore').every((s) => s.state !== 'succeeded')).toBe(true);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it("fails the power-on with qemu's own reason when qemu exits after opening its monitor", async () => {
    const r = await hub.run(['drill', 'h1', '--target', 'huge', '--yes', '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as RunView;
    const start = v.steps.find((s) => s.kind === 'start')!;
    expect(start.state).toBe('failed');
    expect(start.error).toMatch(/^qemu exited at start: .*(memory|Cannot allocate)/i);
    expect(start.error!.split('\n')).toHaveLength(1);
    expect((await hub.json<InstanceView[]>(['instances'])).filter((i) => i.runId === v.id)).toEqual([]);
  });

  it('marks an instance whose qemu died as lost, frees its ports for the next instance and raises the start-host-failed alarm', async () => {
    const [inst] = await hub.json<InstanceView[]>(['instances']);
    expect(inst?.state).toBe('running');
    process.kill(inst!.pid!, 'SIGKILL');
    await waitFor('the killed qemu gone', () => !alive(inst!.pid!), 5000);
    const after = (await hub.json<InstanceView[]>(['instances', '--all'])).find((i) => i.id === inst!.id)!;
    expect(after.state).toBe('lost');
    expect(after.uptimeSeconds).toBeNull();
    expect(await hub.json<InstanceView[]>(['instances'])).toEqual([]);
    expect(fs.existsSync(inst!.qmp!)).toBe(false);
    const alarms = await hub.json<{ rule: string; host: string | null; message: string; state: string }[]>(['alarms']);
    expect(alarms.find((a) => a.rule === 'start-host-failed' && a.host === 'h1')?.message).toMatch(new RegExp(`instance ${inst!.id} of h1 .* is gone`));
  });

  it('fails a drill whose guest never boots at the boot check timeout, with the console in the detail, and stops its instance', async () => {
    const r = await hub.run(['drill', 'h2', '--target', 'vm', '--yes', '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v.verdict).toBe('fail');
    const boot = v.steps.flatMap((s) => s.checks).find((x) => x.type === 'boot')!;
    expect(boot.status).toBe('fail');
    expect(boot.detail).toMatch(/did not match .* within 8 s; console: /);
    // the screen of a guest that never booted is in the report: the screenshot was taken before the stop
    const shot = v.steps.flatMap((s) => s.checks).find((x) => x.type === 'screenshot');
    expect(shot?.status).toBe('pass');
    const inst = (await hub.json<InstanceView[]>(['instances', '--all'])).find((i) => i.runId === v.id)!;
    expect(inst.state).toBe('stopped');
    expect(alive(inst.pid!)).toBe(false);
  });

  it('closes the NBD exports of an instant drill whose guest never boots', async () => {
    const r = await hub.run(['drill', 'h2', '--target', 'vm', '--yes', '--instant', '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v.steps.flatMap((s) => s.checks).find((x) => x.type === 'boot')?.status).toBe('fail');
    const dir = path.join(c.file('vms'), `drill-${v.id}`, 'nbd-h2');
    const socks = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sock')) : [];
    expect(socks).toEqual([]);
  });

  it('exports a point over NBD for drc mount: the bytes of the backed-up disk, zero blocks as holes', async () => {
    const m = await hub.json<InstanceView>(['mount', 'h1']);
    expect(m).toMatchObject({ kind: 'mount', state: 'running' });
    const nbd = await NbdClient.connect({ path: m.nbd! }, 'disk');
    try {
      const data = await nbd.read(0, nbd.size);
      expect(createHash('sha256').update(data).digest('hex')).toBe(sha256File(guest));
    } finally {
      await nbd.close();
    }
    const allocated = await allocatedBytes(m.nbd!, 'disk');
    expect(allocated).toBeGreaterThan(0);
    expect(allocated).toBeLessThan(fs.statSync(guest).size / 2);
    // the same point mounted again is the same mount, on the same socket
    const again = await hub.json<InstanceView>(['mount', 'h1']);
    expect([again.id, again.nbd]).toEqual([m.id, m.nbd]);
    const gone = await hub.json<InstanceView[]>(['unmount', String(m.id)]);
    expect(gone[0]!.state).toBe('stopped');
    expect(fs.existsSync(m.nbd!)).toBe(false);
    expect(fs.existsSync(m.dir)).toBe(false);
  });

  it('keeps a failover instance running across a hub SIGKILL; the restarted hub lists it and stops it only with the host name typed', async () => {
    const r = await hub.run(['failover', 'h1', '--target', 'prod', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    const inst = v.instances[0]!;
    pids.push(inst.pid!);
    expect(inst).toMatchObject({ kind: 'failover', state: 'running', network: 'user' });
    await hub.kill9();
    expect(alive(inst.pid!)).toBe(true);
    hub = new PinnedHubProc(c.hubData, port, ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    const list = await waitFor('the failover instance listed', async () => (await hub.json<InstanceView[]>(['instances'])).find((i) => i.id === inst.id));
    expect(list).toMatchObject({ state: 'running', pid: inst.pid });
    expect(list.bindAddress).toBe(list.ports.length > 0 ? '0.0.0.0' : null);
    const refused = await hub.run(['instances', 'stop', String(inst.id)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--confirm h1');
    expect(alive(inst.pid!)).toBe(true);
    const stopped = await hub.json<InstanceView>(['instances', 'stop', String(inst.id), '--confirm', 'h1']);
    expect(stopped.state).toBe('stopped');
    expect(alive(inst.pid!)).toBe(false);
  }, 180_000);

  it('answers EIO for a damaged block under an NBD export and names its volume and block', async () => {
    const row = withCatalog(c.hubData, (db) => db.prepare('SELECT p.name AS pack, c.offset AS offset FROM chunks c JOIN packs p ON p.id = c.pack_id ORDER BY c.offset LIMIT 1').get()) as { pack: string; offset: number };
    const fd = fs.openSync(path.join(packDir(c.hubData), `${row.pack}.pack`), 'r+');
    fs.writeSync(fd, Buffer.from('damaged!'), 0, 8, row.offset + 4);
    fs.closeSync(fd);
    const m = await hub.json<InstanceView>(['mount', 'h1']);
    const nbd = await NbdClient.connect({ path: m.nbd! }, 'disk');
    try {
      await expect(nbd.read(0, nbd.size)).rejects.toThrow(/volume disk block \d+/);
    } finally {
      await nbd.close().catch(() => undefined);
      await hub.run(['unmount', String(m.id)]);
    }
  });
});
