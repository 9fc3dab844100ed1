// The demo's bootable host: the test guest of scripts/make-guest-image.sh (SYSLINUX, kernel,
// busybox httpd) protected like the others, with a qemu drill target and a boot check, so a
// newcomer sees a drill boot a machine. Left out when qemu or the image builder is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CheckConfig, TargetConfig } from '../config/types.js';

export const DEMO_GUEST_HOST = 'vm-01';

export interface DemoGuest {
  image: string;
  targets: TargetConfig[];
  checks: CheckConfig[];
}

function projectRoot(): string {
  let d = path.dirname(new URL(import.meta.url).pathname);
  while (!fs.existsSync(path.join(d, 'package.json')) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Build (or copy from the cache) the guest image into `dir`; null when it cannot be had here. */
export function demoGuest(dir: string): DemoGuest | null {
  if (process.env.DRC_DEMO_VM === '0') return null;
  if (spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const image = path.join(dir, `${DEMO_GUEST_HOST}.img`);
  const r = spawnSync(path.join(projectRoot(), 'scripts', 'make-guest-image.sh'), [image], { stdio: 'ignore', timeout: 120_000 });
  if (r.status !== 0) return null;
  return {
    image,
    targets: [{ name: 'sandbox', type: 'qemu', purpose: 'drill', format: 'raw', path: path.join(dir, 'sandbox'), accel: 'auto', memory: 256, cpus: 1, firmware: 'bios', diskBus: 'virtio', network: { mode: 'isolated' }, ports: [], binary: 'qemu-system-x86_64' }],
    checks: [
      { name: 'booted', type: 'boot', console: 'drc-guest: booted', timeout: 120, hosts: [DEMO_GUEST_HOST] },
      { name: 'web', type: 'http', url: 'http://guest/', expectStatus: null, timeout: 10, hosts: [DEMO_GUEST_HOST] },
    ],
  };
}
