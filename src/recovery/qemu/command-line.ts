// The qemu-system command line of a recovered instance, as data: every disk boots from a
// qcow2 overlay whose backing node is the restored image (or, for instant recovery, the
// hub's NBD export of the point), so the restored image stays as the point was.
import type { PortForwardView, VmSpecView } from '../../protocol/recovery.js';

export interface VmDisk {
  /** the volume's name: QMP node names are made from it */
  volume: string;
  /** qcow2 overlay the guest writes to */
  overlay: string;
  /** the restored image, or an NBD export */
  base: { kind: 'file'; path: string; format: 'raw' | 'qcow2' | 'vmdk' | 'vhdx' } | { kind: 'nbd'; socket: string; export: string };
}

export interface VmLaunch {
  name: string;
  spec: VmSpecView;
  accel: 'kvm' | 'tcg';
  disks: VmDisk[];
  forwards: PortForwardView[];
  /** bind address of forwarded ports: 127.0.0.1 for drills, every interface for failovers */
  bindAddress: string;
  console: string;
  qmp: string;
  pidFile: string;
  firmwareFile: string | null;
}

/** QMP node names of a volume's backing image and of its overlay */
export const baseNode = (volume: string) => `base-${volume}`;
export const diskNode = (volume: string) => `disk-${volume}`;

function baseArgs(d: VmDisk): string[] {
  const node = baseNode(d.volume);
  if (d.base.kind === 'nbd') {
    return ['-blockdev', `driver=nbd,node-name=${node},server.type=unix,server.path=${d.base.socket},export=${d.base.export},read-only=on`];
  }
  return [
    '-blockdev', `driver=file,node-name=${node}-file,filename=${d.base.path},read-only=on`,
    '-blockdev', `driver=${d.base.format},node-name=${node},file=${node}-file,read-only=on`,
  ];
}

/** the first disk is the boot disk */
function deviceArgs(bus: VmSpecView['diskBus'], drive: string, i: number): string[] {
  const boot = i === 0 ? ',bootindex=0' : '';
  switch (bus) {
    case 'virtio':
      return ['-device', `virtio-blk-pci,drive=${drive}${boot}`];
    case 'ide':
      return ['-device', `ide-hd,drive=${drive}${boot}`];
    case 'scsi':
      return [...(i === 0 ? ['-device', 'virtio-scsi-pci,id=scsi0'] : []), '-device', `scsi-hd,drive=${drive},bus=scsi0.0${boot}`];
    case 'nvme':
      return ['-device', `nvme,drive=${drive},serial=drc${i}${boot}`];
  }
}

function networkArgs(l: VmLaunch): string[] {
  const net = l.spec.network;
  if (net === 'none') return ['-nic', 'none'];
  const [mode, ifname] = net.split(' ');
  let netdev: string;
  if (mode === 'bridge') netdev = `bridge,id=n0,br=${ifname}`;
  else if (mode === 'tap') netdev = `tap,id=n0,ifname=${ifname},script=no,downscript=no`;
  else {
    const fwd = l.forwards.map((f) => `,hostfwd=tcp:${l.bindAddress}:${f.host}-:${f.guest}`).join('');
    netdev = `user,id=n0${mode === 'isolated' ? ',restrict=on' : ''}${fwd}`;
  }
  return ['-netdev', netdev, '-device', 'virtio-net-pci,netdev=n0,romfile='];
}

export function qemuArgs(l: VmLaunch): string[] {
  return [
    '-name', l.name,
    '-machine', 'pc',
    '-accel', l.accel,
    '-m', String(l.spec.memoryMiB),
    '-smp', String(l.spec.cpus),
    '-nodefaults', '-no-user-config',
    '-vga', 'std', '-display', 'none',
    ...(l.firmwareFile ? ['-bios', l.firmwareFile] : []),
    '-serial', `file:${l.console}`,
    '-qmp', `unix:${l.qmp},server=on,wait=off`,
    '-pidfile', l.pidFile,
    ...l.disks.flatMap((d, i) => [
      ...baseArgs(d),
      '-blockdev', `driver=file,node-name=${diskNode(d.volume)}-file,filename=${d.overlay}`,
      '-blockdev', `driver=qcow2,node-name=${diskNode(d.volume)},file=${diskNode(d.volume)}-file,backing=${baseNode(d.volume)}`,
      ...deviceArgs(l.spec.diskBus, diskNode(d.volume), i),
    ]),
    ...networkArgs(l),
  ];
}
