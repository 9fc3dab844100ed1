import { describe, expect, test } from 'vitest';
import type { VmSpecView } from '../../../src/protocol/recovery.js';
import { qemuArgs, type VmLaunch } from '../../../src/recovery/qemu/command-line.js';
import { drillSteps, failoverSteps } from '../../../src/recovery/runbook.js';

const spec: VmSpecView = { accel: 'auto', memoryMiB: 256, cpus: 2, firmware: 'bios', diskBus: 'virtio', network: 'isolated', ports: [], binary: 'qemu-system-x86_64' };
const launch = (over: Partial<VmLaunch> = {}): VmLaunch => ({
  name: 'drc-h1-run3', spec, accel: 'tcg', forwards: [{ host: 40080, guest: 80 }], bindAddress: '127.0.0.1',
  disks: [{ volume: 'disk', overlay: '/d/overlay-disk.qcow2', base: { kind: 'file', path: '/d/h1-disk.img', format: 'raw' } }],
  console: '/d/console.log', qmp: '/d/qmp.sock', pidFile: '/d/qemu.pid', firmwareFile: null, ...over,
});
const arg = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

describe('the qemu command line of a recovered instance', () => {
  test('boots from a qcow2 overlay whose backing node is the restored image, read-only, with no -kernel', () => {
    const a = qemuArgs(launch());
    expect(arg(a, '-blockdev')).toEqual([
      'driver=file,node-name=base-disk-file,filename=/d/h1-disk.img,read-only=on',
      'driver=raw,node-name=base-disk,file=base-disk-file,read-only=on',
      'driver=file,node-name=disk-disk-file,filename=/d/overlay-disk.qcow2',
      'driver=qcow2,node-name=disk-disk,file=disk-disk-file,backing=base-disk',
    ]);
    expect(arg(a, '-device')).toContain('virtio-blk-pci,drive=disk-disk,bootindex=0');
    expect(a).not.toContain('-kernel');
    expect(arg(a, '-serial')).toEqual(['file:/d/console.log']);
    expect(arg(a, '-qmp')).toEqual(['unix:/d/qmp.sock,server=on,wait=off']);
  });

  test('keeps a drill isolated: restricted user networking with only the forwarded ports, on loopback', () => {
    expect(arg(qemuArgs(launch()), '-netdev')).toEqual(['user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40080-:80']);
    expect(arg(qemuArgs(launch({ spec: { ...spec, network: 'none' } })), '-nic')).toEqual(['none']);
  });

  test('puts a failover on the DR network the operator named', () => {
    expect(arg(qemuArgs(launch({ spec: { ...spec, network: 'bridge br-dr' }, forwards: [] })), '-netdev')).toEqual(['bridge,id=n0,br=br-dr']);
    expect(arg(qemuArgs(launch({ spec: { ...spec, network: 'tap tap7' }, forwards: [] })), '-netdev')).toEqual(['tap,id=n0,ifname=tap7,script=no,downscript=no']);
  });

  test('reads an instant recovery disk from the NBD export of the point', () => {
    const a = qemuArgs(launch({ disks: [{ volume: 'disk', overlay: '/d/o.qcow2', base: { kind: 'nbd', socket: '/d/nbd.sock', export: 'disk' } }] }));
    expect(arg(a, '-blockdev')[0]).toBe('driver=nbd,node-name=base-disk,server.type=unix,server.path=/d/nbd.sock,export=disk,read-only=on');
  });
});

describe('runbooks on a qemu target', () => {
  const host = { name: 'h1', volumes: ['disk'] };
  test('a drill restores, powers on, then checks', () => {
    expect(drillSteps({ groups: [{ hosts: [host], waitSeconds: 0 }], deliver: false, vm: true }).map((s) => s.kind)).toEqual(['prepare', 'restore', 'start', 'checks', 'complete']);
  });
  test('an instant drill powers on and checks first, restores behind and then attaches the restored disk', () => {
    const s = drillSteps({ groups: [{ hosts: [host], waitSeconds: 0 }], deliver: false, vm: true, instant: true });
    expect(s.map((x) => x.kind)).toEqual(['prepare', 'start', 'checks', 'restore', 'attach', 'complete']);
    expect(s.find((x) => x.kind === 'checks')!.policy).toBe('skip-host');
  });
  test('a failover aborts on any failure of its instance', () => {
    const s = failoverSteps(host, { deliver: false, vm: true });
    expect(s.map((x) => `${x.kind}:${x.policy}`)).toEqual(['precheck:abort', 'final-sync:continue', 'fence:abort', 'restore:abort', 'start:abort', 'checks:abort', 'switch:abort', 'complete:abort']);
  });
});
