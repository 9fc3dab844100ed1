/**
 * The keys of a `type: qemu` target: accelerator, memory, cpus, firmware, disk bus,
 * network (isolated | none | user | bridge | tap) and forwarded ports.
 */
import { isScalar } from 'yaml';
import { describe, int, listOf, matching, oneOf, str, type ConfigReader, type ValueReader } from './yaml-readers.js';
import { QEMU_ACCELS, QEMU_DISK_BUSES, QEMU_FIRMWARES, QEMU_NETWORKS, type PortForwardConfig, type QemuNetworkConfig, type QemuTargetConfig } from './types.js';
import { parseSize } from './units.js';

/** MiB as an integer (`memory: 512`) or a size (`memory: 1GiB`). */
const memory: ValueReader<number> = (r, raw, path) => {
  const node = r.deref(raw);
  const expected = 'expected MiB as an integer (512) or a size such as 1GiB';
  if (isScalar(node) && typeof node.value === 'number') {
    return Number.isInteger(node.value) && node.value >= 16 ? node.value : r.fail(node, `${path} ${String(node.value)} is out of range`, expected);
  }
  if (isScalar(node) && typeof node.value === 'string') {
    try {
      const mib = Math.floor(parseSize(node.value) / 2 ** 20);
      return mib >= 16 ? mib : r.fail(node, `${path} ${node.value} is below 16 MiB`, expected);
    } catch {
      return r.fail(node, `${path} ${JSON.stringify(node.value)} is not a size`, expected);
    }
  }
  return r.fail(node, `${path} is ${describe(node)}`, expected);
};

/** `8080:80` (host:guest) or `80` (any free host port). */
const port: ValueReader<PortForwardConfig> = (r, raw, path) => {
  const node = r.deref(raw);
  const text = isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'string') ? String(node.value) : null;
  const m = text === null ? null : /^(?:(\d{1,5}):)?(\d{1,5})$/.exec(text);
  const ok = (n: number) => n >= 1 && n <= 65535;
  if (!m || !ok(Number(m[2])) || (m[1] !== undefined && !ok(Number(m[1])))) {
    return r.fail(node, `${path} ${text === null ? `is ${describe(node)}` : JSON.stringify(text)} is not a port forward`, 'expected GUEST-PORT or HOST-PORT:GUEST-PORT (1-65535)');
  }
  return { host: m[1] === undefined ? null : Number(m[1]), guest: Number(m[2]) };
};

const ifName = matching(/^[A-Za-z0-9_.-]{1,15}$/, 'interface name', 'expected a network interface name (at most 15 characters)');

export const QEMU_TARGET_KEYS = {
  accel: oneOf(QEMU_ACCELS, 'accelerator'),
  memory,
  cpus: int(1, 64),
  firmware: oneOf(QEMU_FIRMWARES, 'firmware'),
  disk_bus: oneOf(QEMU_DISK_BUSES, 'disk bus'),
  network: oneOf(QEMU_NETWORKS, 'network'),
  bridge: ifName,
  tap: ifName,
  ports: listOf(port),
  binary: str,
};

type QemuKeys = { [K in keyof typeof QEMU_TARGET_KEYS]?: (typeof QEMU_TARGET_KEYS)[K] extends ValueReader<infer T> ? T : never };

/** The qemu part of a target, given its already read keys; records errors for bad combinations. */
export function qemuTarget(
  r: ConfigReader,
  v: QemuKeys,
  nodeOf: (key: string) => unknown,
  path: string,
  purpose: QemuTargetConfig['purpose'],
): Omit<QemuTargetConfig, 'name' | 'format' | 'purpose' | 'path' | 'type'> | undefined {
  const mode = v.network ?? (v.bridge !== undefined ? 'bridge' : v.tap !== undefined ? 'tap' : purpose === 'failover' ? 'user' : 'isolated');
  let network: QemuNetworkConfig;
  if (mode === 'bridge' || mode === 'tap') {
    const n = mode === 'bridge' ? v.bridge : v.tap;
    if (n === undefined) return r.fail(nodeOf('network'), `${path} has network: ${mode} but no ${mode}: NAME`, `expected ${mode}: the interface to attach to`);
    network = { mode, name: n };
  } else network = { mode };
  if ((mode === 'none' || mode === 'bridge' || mode === 'tap') && (v.ports?.length ?? 0) > 0) {
    return r.fail(nodeOf('ports'), `${path}.ports needs user-mode networking (network: user or isolated)`, 'expected no ports with network: none, bridge or tap');
  }
  // each host port forwards to one guest port, each guest port is forwarded once
  const ports = v.ports ?? [];
  for (const [k, p] of ports.entries()) {
    const twice = ports.findIndex((q, j) => j < k && ((p.host !== null && q.host === p.host) || q.guest === p.guest));
    if (twice >= 0) {
      const what = p.host !== null && ports[twice]!.host === p.host ? `host port ${p.host}` : `guest port ${p.guest}`;
      return r.fail(nodeOf('ports'), `${path}.ports forwards ${what} twice (entries ${twice + 1} and ${k + 1})`, 'expected each host port and each guest port once');
    }
  }
  return {
    accel: v.accel ?? 'auto',
    memory: v.memory ?? 512,
    cpus: v.cpus ?? 1,
    firmware: v.firmware ?? 'bios',
    diskBus: v.disk_bus ?? 'virtio',
    network,
    ports: v.ports ?? [],
    binary: v.binary ?? 'qemu-system-x86_64',
  };
}
