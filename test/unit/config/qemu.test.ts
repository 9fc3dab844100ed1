import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';

const parse = (lines: string[]) => parseConfig(lines.join('\n') + '\n', 'drc.yaml');
const message = (lines: string[]) => {
  try {
    parse(lines);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('qemu targets and boot checks in the config', () => {
  test('a qemu target defaults to auto acceleration, 512 MiB, one cpu, BIOS, virtio and an isolated network for drills', () => {
    const c = parse(['targets:', '  - { name: vm, type: qemu, path: /dr/vms, purpose: drill }']);
    expect(c.targets[0]).toEqual({
      name: 'vm', type: 'qemu', path: '/dr/vms', format: 'raw', purpose: 'drill', accel: 'auto', memory: 512, cpus: 1,
      firmware: 'bios', diskBus: 'virtio', network: { mode: 'isolated' }, ports: [], binary: 'qemu-system-x86_64',
    });
  });

  test('a failover target defaults to user networking and reads port forwards, sizes and a bridge', () => {
    const c = parse([
      'targets:',
      '  - { name: prod, type: qemu, path: /dr/prod, purpose: failover, memory: 2GiB, cpus: 2, ports: ["8080:80", 22] }',
      '  - { name: dr-net, type: qemu, path: /dr/net, purpose: failover, bridge: br0 }',
    ]);
    expect(c.targets[0]).toMatchObject({ memory: 2048, cpus: 2, network: { mode: 'user' }, ports: [{ host: 8080, guest: 80 }, { host: null, guest: 22 }] });
    expect(c.targets[1]).toMatchObject({ network: { mode: 'bridge', name: 'br0' } });
  });

  test('a boot check takes kind or type and a console regex', () => {
    const c = parse(['checks:', '  - { name: up, kind: boot, console: "login:|booted", timeout: 2m }', '  - { name: up2, type: boot, console: x }']);
    expect(c.checks).toEqual([
      { name: 'up', type: 'boot', console: 'login:|booted', timeout: 120, hosts: [] },
      { name: 'up2', type: 'boot', console: 'x', timeout: 30, hosts: [] },
    ]);
  });

  test.each([
    [['targets:', '  - { name: vm, type: qemu, path: /x, accel: xen }'], 'drc.yaml:2:46: targets[0].accel "xen" is not a valid accelerator (expected one of: auto, kvm, tcg)'],
    [['targets:', '  - { name: vm, type: qemu, path: /x, ports: ["99999"] }'], 'drc.yaml:2:47: targets[0].ports[0] "99999" is not a port forward (expected GUEST-PORT or HOST-PORT:GUEST-PORT (1-65535))'],
    [['targets:', '  - { name: vm, type: qemu, path: /x, network: tap }'], 'drc.yaml:2:48: targets[0] has network: tap but no tap: NAME (expected tap: the interface to attach to)'],
    [['targets:', '  - { name: vm, type: qemu, path: /x, network: none, ports: [80] }'], 'drc.yaml:2:61: targets[0].ports needs user-mode networking (network: user or isolated) (expected no ports with network: none, bridge or tap)'],
    [['targets:', '  - { name: vm, type: qemu, path: /x, ports: ["7868:80", "7868:22"] }'], 'drc.yaml:2:46: targets[0].ports forwards host port 7868 twice (entries 1 and 2) (expected each host port and each guest port once)'],
    [['targets:', '  - { name: vm, type: qemu, path: /x, ports: [80, "8080:80"] }'], 'drc.yaml:2:46: targets[0].ports forwards guest port 80 twice (entries 1 and 2) (expected each host port and each guest port once)'],
    [['targets:', '  - { name: d, type: directory, path: /x, memory: 512 }'], 'drc.yaml:2:51: targets[0].memory does not apply to directory targets (expected only with type: qemu)'],
    [['targets:', '  - { name: vm, type: qemu }'], 'drc.yaml:2:5: targets[0] is missing required key "path" (expected a directory for qemu targets)'],
    [['checks:', '  - { name: up, kind: boot }'], 'drc.yaml:2:5: checks[0] is missing required key "console" (expected a regular expression the serial console must match)'],
    [['checks:', '  - { name: up, kind: boot, console: "(" }'], 'drc.yaml:2:38: checks[0].console is not a valid regular expression (Invalid regular expression: /(/: Unterminated group) (expected a JavaScript regular expression)'],
    [['checks:', '  - { name: up, type: boot, kind: boot, console: x }'], 'drc.yaml:2:35: checks[0].kind cannot be combined with type (expected one of type, kind)'],
  ])('refuses %j with one line naming where', (yaml, expected) => {
    expect(message(yaml)).toBe(expected);
  });
});
