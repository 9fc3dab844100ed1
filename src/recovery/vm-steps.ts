// The steps of a qemu target: power a recovered host on (from its restored images, or for
// instant recovery from NBD exports of the points), and after an instant recovery's restore
// behind it, switch the running VM's overlays to the local images with no reboot.
import fs from 'node:fs';
import path from 'node:path';
import type { NbdDamage } from '../store/nbd-server.js';
import { checksFor, guestPorts, type CheckInstance } from './checks.js';
import type { StepContext } from './executor.js';
import type { RecoveredInstances } from './instances.js';
import { baseNode, diskNode } from './qemu/command-line.js';
import { InstanceMonitor } from './qemu/qmp.js';
import type { StepOutcome } from './runbook.js';
import type { RunMeta, RunScopeHost } from './run-store.js';
import type { InstanceRow } from '../catalog/instance-store.js';
import type { CheckConfig } from '../config/types.js';

export interface VmStepDeps {
  instances: RecoveredInstances;
  checks: CheckConfig[];
  tags: (host: string) => string[];
  onDamage: (runId: number, d: NbdDamage) => void;
}

const hasBootSector = (b: Buffer) => b.length >= 512 && b[510] === 0x55 && b[511] === 0xaa;

function firstSector(file: string): Buffer {
  const b = Buffer.alloc(512);
  try {
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, b, 0, 512, 0);
    fs.closeSync(fd);
  } catch {
    /* a missing image has no boot sector */
  }
  return b;
}

const exportKey = (runId: number, host: string, volume: string) => `run:${runId}:${host}:${volume}`;

export function runningInstance(inst: RecoveredInstances, runId: number, host: string): InstanceRow | undefined {
  return inst.ofRun(runId, host).find((r) => r.state === 'running');
}

export function checkInstance(r: InstanceRow | undefined): CheckInstance | undefined {
  if (!r || !r.console) return undefined;
  return { id: r.id, pid: r.pid, console: r.console, qmp: r.qmp, dir: r.dir, poweredOnAt: r.poweredOnAt ?? Date.parse(r.startedAt), ports: r.ports };
}

export async function startHost(d: VmStepDeps, meta: RunMeta, h: RunScopeHost, ctx: StepContext): Promise<StepOutcome> {
  const configured = meta.target.vm;
  if (!configured) return { state: 'failed', error: 'the target is not a qemu target' };
  // a drill never gets a link to production: the target's user, bridge or tap network is for failovers
  const confined = ctx.run.kind === 'drill' && configured.network !== 'isolated' && configured.network !== 'none';
  const spec = confined ? { ...configured, network: 'isolated' as const } : configured;
  const instant = meta.params.instant === true;
  const nbdDir = path.join(meta.target.dir, `nbd-${h.host}`);
  // where power-on time goes: the exports (instant recovery), then qemu up to its monitor
  const t0 = performance.now();
  // the volumes' exports open at once
  const disks = await Promise.all(
    h.points.map(async (p) => {
      if (instant) {
        const e = await d.instances.openExport(exportKey(ctx.run.id, h.host, p.volume), p.pointId, p.volume, nbdDir, (x) => d.onDamage(ctx.run.id, x));
        return { volume: p.volume, size: p.size, base: { kind: 'nbd' as const, socket: e.socket, export: e.name }, boot: hasBootSector(await e.server.readAt(0, 512)) };
      }
      const boot = meta.target.format === 'raw' && hasBootSector(firstSector(p.image));
      return { volume: p.volume, size: p.size, base: { kind: 'file' as const, path: p.image, format: meta.target.format }, boot };
    }),
  );
  if (!disks.some((x) => x.boot)) {
    for (const p of h.points) await d.instances.closeExport(exportKey(ctx.run.id, h.host, p.volume));
    return { state: 'skipped', detail: `no volume of ${h.host} has a boot sector: not powered on` };
  }
  // the firmware boots the first disk only: the volume with a boot sector goes first
  disks.sort((a, b) => Number(b.boot) - Number(a.boot));
  const applicable = checksFor(d.checks, h.checks, { host: h.host, tags: d.tags(h.host), tier: h.tier, format: meta.target.format });
  const tDisks = performance.now();
  let booted;
  try {
    booted = await d.instances.boot({
      kind: ctx.run.kind === 'drill' ? 'drill' : 'failover', host: h.host, runId: ctx.run.id, target: meta.target.name, spec, dir: meta.target.dir, disks,
      guestPorts: guestPorts(applicable), expiresAt: null,
    });
  } catch (e) {
    // nothing runs from the exports opened for it
    if (instant) await d.instances.closeRunExports(ctx.run.id, h.host);
    throw e;
  }
  const { row, vm } = booted;
  const secs = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`;
  const took = `${instant ? `exports ready in ${secs(t0, tDisks)}, ` : ''}qemu up in ${secs(tDisks, performance.now())}`;
  const ports = row.ports.map((p) => `${row.kind === 'drill' ? '127.0.0.1' : '*'}:${p.host}→${p.guest}`).join(', ');
  const detail = [
    `instance ${row.id} of ${h.host} powered on under ${vm.accel.toUpperCase()} (pid ${vm.pid}, ${spec.memoryMiB} MiB, ${spec.cpus} cpu; ${took})`,
    `network ${row.network}${confined ? ` (a drill: not the target's ${configured.network})` : ''}${ports ? `, ports ${ports}` : ''}`,
    instant ? `disks from NBD exports of point(s) ${h.points.map((p) => p.pointId).join(', ')}` : null,
    vm.note,
  ].filter(Boolean).join('; ');
  return { state: 'succeeded', detail, result: { instance: { id: row.id, accel: vm.accel, note: vm.note, network: row.network, ports: row.ports } } };
}

/** Instant recovery: the restored images become each overlay's backing node; the NBD exports close. */
export async function attachLocal(d: VmStepDeps, meta: RunMeta, h: RunScopeHost, ctx: StepContext): Promise<StepOutcome> {
  const r = runningInstance(d.instances, ctx.run.id, h.host);
  if (!r?.qmp) return { state: 'skipped', detail: `no instance of ${h.host} is running: nothing to attach` };
  const m = await InstanceMonitor.connect(r.qmp);
  try {
    for (const p of h.points) {
      const local = `local-${p.volume}`;
      await m.execute('blockdev-add', { driver: 'file', 'node-name': `${local}-file`, filename: p.image, 'read-only': true });
      await m.execute('blockdev-add', { driver: meta.target.format, 'node-name': local, file: `${local}-file`, 'read-only': true });
      await m.execute('blockdev-reopen', { options: [{ driver: 'qcow2', 'node-name': diskNode(p.volume), file: `${diskNode(p.volume)}-file`, backing: local }] });
      await m.execute('blockdev-del', { 'node-name': baseNode(p.volume) });
    }
  } finally {
    m.close();
  }
  for (const p of h.points) await d.instances.closeExport(exportKey(ctx.run.id, h.host, p.volume));
  d.instances.store.setDisk(r.id, 'local');
  return { state: 'succeeded', detail: `instance ${r.id} now reads ${h.points.map((p) => p.image).join(', ')}; NBD exports closed, no reboot` };
}
