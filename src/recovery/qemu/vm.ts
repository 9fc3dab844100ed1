// Start, watch and stop one recovered instance's qemu process. The process runs in its own
// session (a hub that is killed leaves it running: failover instances must survive), with its
// pid file, serial console and QMP socket in the instance's directory. accel auto tries KVM
// and, when KVM stops the guest ("KVM internal error"), starts it again under TCG; the failure
// is remembered (kvm-memo.ts) so later starts go straight to TCG.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VmSpecView } from '../../protocol/recovery.js';
import { TargetError } from '../targets.js';
import { qemuArgs, type VmDisk, type VmLaunch } from './command-line.js';
import { KvmMemo } from './kvm-memo.js';
import { qmpOnce } from './qmp.js';

// KVM may stop a guest in its BIOS or boot loader (real mode), with "KVM internal error" or
// by hanging there silently; under auto a guest whose OS has not spoken on its serial console
// within this window is started again under TCG (accel: kvm keeps KVM whatever happens)
const KVM_WATCH_MS = 8000;
const FIRMWARE_LINE = /^(SeaBIOS|iPXE|Booting|SYSLINUX|ISOLINUX|EXTLINUX|Loading|Probing|Press|Machine UUID|\s*$)/;
const OVMF = ['/usr/share/ovmf/OVMF.fd', '/usr/share/qemu/OVMF.fd'];

/** The emulator is installed and answers --version; else a one-line error naming the package. */
export function requireQemu(binary: string): void {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new TargetError(`${binary} is not installed: qemu targets need it (Debian: apt-get install qemu-system-x86)`);
}

export function firmwareFile(firmware: VmSpecView['firmware']): string | null {
  if (firmware === 'bios') return null;
  const f = OVMF.find((p) => fs.existsSync(p));
  if (!f) throw new TargetError('firmware uefi needs OVMF (Debian: apt-get install ovmf)');
  return f;
}

/** A unix socket path short enough for sun_path; long directories get one in the temp dir. */
export function socketPath(dir: string, name: string): string {
  const p = path.join(dir, name);
  if (Buffer.byteLength(p) < 100) return p;
  return path.join(os.tmpdir(), `drc-${crypto.createHash('sha256').update(p).digest('hex').slice(0, 16)}.sock`);
}

function kvmUsable(): boolean {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is `pid` still the qemu of this instance (and not a recycled pid)? */
export function isInstanceProcess(pid: number, qmp: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(qmp);
  } catch {
    return false;
  }
}

export async function createOverlay(overlay: string, sizeBytes: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn('qemu-img', ['create', '-q', '-f', 'qcow2', overlay, String(sizeBytes)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', () => reject(new TargetError('qemu-img is not installed: qemu targets need it for overlays (Debian: apt-get install qemu-utils)')));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new TargetError(`qemu-img create ${overlay}: ${err.trim().split('\n').pop() ?? code}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunningVm {
  pid: number;
  accel: 'kvm' | 'tcg';
  /** ms since the epoch when the VM that booted was powered on */
  poweredOnAt: number;
  /** why the accelerator is what it is (KVM fallback) */
  note: string | null;
}

function spawnQemu(binary: string, l: VmLaunch, logFile: string): { pid: number; exited: () => number | null } {
  fs.rmSync(l.qmp, { force: true });
  fs.rmSync(l.pidFile, { force: true });
  const log = fs.openSync(logFile, 'a');
  const child = spawn(binary, qemuArgs(l), { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let code: number | null = null;
  child.on('exit', (c, sig) => (code = c ?? (sig ? 128 : 1)));
  child.on('error', () => (code = 127));
  child.unref();
  if (child.pid === undefined) throw new TargetError(`${binary} did not start`);
  return { pid: child.pid, exited: () => code };
}

async function waitForMonitor(qmp: string, exited: () => number | null, logFile: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (exited() !== null) throw new TargetError(`qemu exited at start: ${tail(logFile, 1)[0] ?? `code ${exited()}`}`);
    if (fs.existsSync(qmp)) return;
    await sleep(10);
  }
  throw new TargetError(`qemu did not open its monitor within ${timeoutMs / 1000} s`);
}

/**
 * qemu got past its machine setup: its monitor answers. qemu may open the monitor's socket and
 * still exit (guest memory it cannot allocate, a bridge helper that fails, a host port it
 * cannot forward): then its own last log line is the error.
 */
async function confirmStarted(qmp: string, exited: () => number | null, logFile: string): Promise<void> {
  let failure: Error | null = null;
  try {
    await qmpOnce(qmp, 'query-status', undefined, 10_000);
  } catch (e) {
    failure = e as Error;
    // a qemu on its way out: a moment to exit and write why
    for (let i = 0; i < 40 && exited() === null; i++) await sleep(25);
  }
  if (exited() !== null) throw new TargetError(`qemu exited at start: ${tail(logFile, 1)[0] ?? `code ${exited()}`}`);
  if (failure) throw new TargetError(`qemu's monitor did not answer at start (${failure.message}): ${tail(logFile, 1)[0] ?? 'nothing in qemu.log'}`);
}

/** Did KVM stop (or stall) the guest within the watch window? */
async function kvmFailed(l: VmLaunch, exited: () => number | null, logFile: string, strict: boolean): Promise<string | null> {
  const end = Date.now() + KVM_WATCH_MS;
  while (Date.now() < end) {
    const log = fs.readFileSync(logFile, 'utf8');
    if (log.includes('KVM internal error')) return 'KVM internal error';
    if (exited() !== null) return `qemu under KVM exited: ${log.trim().split('\n').pop() ?? ''}`;
    if (tail(l.console, 40).some((line) => !FIRMWARE_LINE.test(line))) return null;
    try {
      const s = await qmpOnce<{ status: string }>(l.qmp, 'query-status', undefined, 1000);
      if (s.status === 'internal-error') return 'KVM internal error';
    } catch {
      /* not ready yet */
    }
    await sleep(150);
  }
  return strict ? null : `no output from the guest on its console within ${KVM_WATCH_MS / 1000} s under KVM`;
}

/**
 * Start the VM; accel auto falls back to TCG when KVM is missing or stops the guest, and goes
 * straight to TCG when `memo` says KVM failed on this machine before.
 */
export async function startVm(binary: string, launch: Omit<VmLaunch, 'accel'>, logFile: string, memo = new KvmMemo(null)): Promise<RunningVm> {
  const want = launch.spec.accel;
  let note: string | null = null;
  const broken = want === 'auto' ? memo.failed(binary) : null;
  if (want === 'kvm' || (want === 'auto' && kvmUsable() && broken === null)) {
    const l: VmLaunch = { ...launch, accel: 'kvm' };
    const poweredOnAt = Date.now();
    const p = spawnQemu(binary, l, logFile);
    try {
      await waitForMonitor(l.qmp, p.exited, logFile);
    } catch (e) {
      killHard(p.pid);
      throw e;
    }
    const failed = await kvmFailed(l, p.exited, logFile, want === 'kvm');
    if (!failed) return { pid: p.pid, accel: 'kvm', poweredOnAt, note: null };
    killHard(p.pid);
    await waitGone(p.pid, 3000);
    if (want === 'kvm') throw new TargetError(`KVM could not run the guest (${failed}); use accel: tcg or auto`);
    memo.remember(binary, failed, new Date(poweredOnAt));
    note = `KVM failed (${failed}) after ${((Date.now() - poweredOnAt) / 1000).toFixed(1)} s; started again under TCG, and later starts on this machine go straight to TCG`;
  } else if (want === 'auto') {
    note = broken ? `KVM failed on this machine at ${broken.at} (${broken.reason}); started under TCG` : '/dev/kvm is not usable; started under TCG';
  }
  const l: VmLaunch = { ...launch, accel: 'tcg' };
  const poweredOnAt = Date.now();
  const p = spawnQemu(binary, l, logFile);
  try {
    await waitForMonitor(l.qmp, p.exited, logFile);
    await confirmStarted(l.qmp, p.exited, logFile);
  } catch (e) {
    killHard(p.pid);
    throw e;
  }
  return { pid: p.pid, accel: 'tcg', poweredOnAt, note };
}

function killHard(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!pidAlive(pid)) return true;
    await sleep(50);
  }
  return !pidAlive(pid);
}

/** Quit through QMP, then SIGTERM, then SIGKILL. */
export async function stopVm(pid: number | null, qmp: string | null): Promise<void> {
  if (pid === null || !pidAlive(pid) || (qmp && !isInstanceProcess(pid, qmp))) return;
  if (qmp) await qmpOnce(qmp, 'quit', undefined, 2000).catch(() => undefined);
  if (await waitGone(pid, 3000)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitGone(pid, 2000)) return;
  killHard(pid);
  await waitGone(pid, 2000);
}

/** The last `n` lines of a console or log file (at most its last 64 KiB are read). */
export function tail(file: string, n: number): string[] {
  let text = '';
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 65536);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    fs.closeSync(fd);
    text = buf.toString('utf8');
  } catch {
    return [];
  }
  return clean(text).split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(-n);
}

/** Console text without terminal escapes and carriage returns. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1bc/g, '').replace(/\r/g, '');
}

export type { VmDisk };
