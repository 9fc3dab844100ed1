// Where recovered volumes go. A drill always writes into its own directory (DATA/drills/ID,
// or drill-ID inside a configured directory), a failover into the host's production
// directory (DATA/failover/HOST, or HOST inside a configured directory); a command target
// stages images there and hands their paths to its hook; a qemu target keeps its images,
// overlays and consoles there and boots them as a VM.
import fs from 'node:fs';
import path from 'node:path';
import type { QemuTargetConfig, TargetConfig } from '../config/types.js';
import type { RunKind, RunTargetView, VmSpecView } from '../protocol/recovery.js';
import { runCommand, type HookResult } from './hooks.js';

/** A target that cannot be used as asked: exit 1, one line. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export function vmSpec(t: QemuTargetConfig): VmSpecView {
  const network = t.network.mode === 'bridge' || t.network.mode === 'tap' ? `${t.network.mode} ${t.network.name}` : t.network.mode;
  return { accel: t.accel, memoryMiB: t.memory, cpus: t.cpus, firmware: t.firmware, diskBus: t.diskBus, network, ports: t.ports, binary: t.binary };
}

const EXT: Record<RunTargetView['format'], string> = { raw: 'img', qcow2: 'qcow2', vmdk: 'vmdk', vhdx: 'vhdx' };

function pick(targets: TargetConfig[], kind: RunKind, name: string | undefined): TargetConfig | null {
  if (name !== undefined) {
    const t = targets.find((x) => x.name === name);
    if (!t) throw new TargetError(`no target named ${name} (configured: ${targets.map((x) => x.name).join(', ') || 'none'})`);
    if (t.purpose !== kind && t.purpose !== 'both') throw new TargetError(`target ${name} is for ${t.purpose}s, not ${kind}s`);
    return t;
  }
  return targets.find((x) => x.purpose === kind) ?? targets.find((x) => x.purpose === 'both') ?? null;
}

/** The isolated target of drill `runId`. */
export function drillTarget(targets: TargetConfig[], dataDir: string, runId: number | string, name?: string): RunTargetView {
  const t = pick(targets, 'drill', name);
  const staging = path.join(dataDir, 'drills', String(runId));
  if (!t) return { name: null, type: 'directory', format: 'raw', dir: staging, command: null };
  if (t.type === 'directory') return { name: t.name, type: 'directory', format: t.format, dir: path.join(t.path, `drill-${runId}`), command: null };
  if (t.type === 'qemu') return { name: t.name, type: 'qemu', format: t.format, dir: path.join(t.path, `drill-${runId}`), command: null, vm: vmSpec(t) };
  return { name: t.name, type: 'command', format: t.format, dir: staging, command: t.command };
}

/** The production target a failover of `host` restores to. */
export function failoverTarget(targets: TargetConfig[], dataDir: string, host: string, name?: string): RunTargetView {
  const t = pick(targets, 'failover', name);
  const staging = path.join(dataDir, 'failover', host);
  if (!t) return { name: null, type: 'directory', format: 'raw', dir: staging, command: null };
  if (t.type === 'directory') return { name: t.name, type: 'directory', format: t.format, dir: path.join(t.path, host), command: null };
  if (t.type === 'qemu') return { name: t.name, type: 'qemu', format: t.format, dir: path.join(t.path, host), command: null, vm: vmSpec(t) };
  return { name: t.name, type: 'command', format: t.format, dir: staging, command: t.command };
}

export function imagePath(target: RunTargetView, host: string, volume: string): string {
  return path.join(target.dir, `${host}-${volume}.${EXT[target.format]}`);
}

/** Free bytes on the file system that holds `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number | null {
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
  try {
    const s = fs.statfsSync(d);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Bytes allocated under `dir` (sparse images count what they use). */
export function allocatedBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).blocks * 512;
  }
  return total;
}

/** Remove a drill's directory; refuses anything that is not named like one (never production). */
export function removeDrillDir(dir: string, runId: number): boolean {
  const base = path.basename(dir);
  if (base !== String(runId) && base !== `drill-${runId}`) throw new TargetError(`refusing to remove ${dir}: not a drill directory of run ${runId}`);
  if (!fs.existsSync(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

/** The variables hooks and command checks see. */
export function imageEnv(o: { runId: number; kind: RunKind; host: string; format: string; images: { volume: string; path: string }[] }): Record<string, string> {
  const env: Record<string, string> = {
    DRC_RUN_ID: String(o.runId),
    DRC_RUN_KIND: o.kind,
    DRC_HOST: o.host,
    DRC_FORMAT: o.format,
    DRC_IMAGE: o.images[0]?.path ?? '',
    DRC_IMAGES: o.images.map((i) => i.path).join('\n'),
  };
  for (const i of o.images) env[`DRC_IMAGE_${i.volume.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = i.path;
  return env;
}

/** A command target: hand the host's images to its hook. */
export function deliverImages(target: RunTargetView, env: Record<string, string>, timeoutSeconds: number, signal?: AbortSignal): Promise<HookResult> {
  if (target.type !== 'command' || !target.command) throw new TargetError('not a command target');
  return runCommand(target.command, { ...env, DRC_TARGET: target.name ?? '' }, timeoutSeconds, signal);
}
