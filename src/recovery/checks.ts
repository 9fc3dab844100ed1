// What proves a recovered host works: the restore's Merkle/digest match, `qemu-img check`,
// an operator command with the image paths in its environment, TCP and HTTP probes (the
// host name `guest` reaches a recovered instance through its forwarded ports), the boot
// check on an instance's serial console and its screenshot.
// Each yields pass/fail/skipped with its timing; none throws.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import type { CheckConfig } from '../config/types.js';
import type { CheckResultView, CheckStatus, PortForwardView } from '../protocol/recovery.js';
import type { Clock } from './executor.js';
import { runCommand } from './hooks.js';
import { screendump, waitForConsole } from './qemu/boot-check.js';

/** A recovered instance the checks can reach. */
export interface CheckInstance {
  id: number;
  pid: number | null;
  console: string;
  qmp: string | null;
  dir: string;
  poweredOnAt: number;
  ports: PortForwardView[];
}

/** The host name that means "the recovered instance" in tcp and http checks. */
export const GUEST_HOST = 'guest';

export interface CheckSubject {
  host: string;
  tags: string[];
  tier: string | null;
  format: string;
  images: { volume: string; path: string }[];
  env: Record<string, string>;
  instance?: CheckInstance;
  /** set by a passing boot check: power-on → match */
  bootMs?: number;
}

function globMatch(glob: string, s: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

/** Does a check's `hosts:` (globs, tag:NAME, tier:NAME; empty = all) select this host? */
export function checkApplies(c: CheckConfig, h: { name: string; tags: string[]; tier: string | null }): boolean {
  if (c.hosts.length === 0) return true;
  return c.hosts.some((s) =>
    s.startsWith('tag:') ? h.tags.includes(s.slice(4)) : s.startsWith('tier:') ? h.tier === s.slice(5) : globMatch(s, h.name),
  );
}

let qemuImg: boolean | null = null;
export function qemuImgAvailable(): boolean {
  qemuImg ??= spawnSync('qemu-img', ['--version'], { stdio: 'ignore' }).status === 0;
  return qemuImg;
}

type Outcome = { status: CheckStatus; detail: string; console?: string[]; screenshot?: string };

/** `guest:PORT` → the instance's forward of PORT on 127.0.0.1; other addresses unchanged. */
export function guestAddress(host: string, port: number, subject: CheckSubject): { host: string; port: number } | string {
  if (host !== GUEST_HOST) return { host, port };
  if (!subject.instance) return `${GUEST_HOST}:${port} needs a recovered instance (a qemu target)`;
  const f = subject.instance.ports.find((p) => p.guest === port);
  return f ? { host: '127.0.0.1', port: f.host } : `guest port ${port} is not forwarded`;
}

/** Guest ports a set of checks reaches through forwards. */
export function guestPorts(checks: CheckConfig[]): number[] {
  const out = new Set<number>();
  for (const c of checks) {
    if (c.type === 'tcp' && c.address.host === GUEST_HOST) out.add(c.address.port);
    if (c.type === 'http') {
      const u = new URL(c.url);
      if (u.hostname === GUEST_HOST) out.add(u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80);
    }
  }
  return [...out];
}

async function bootCheck(pattern: string, timeoutS: number, subject: CheckSubject, signal?: AbortSignal): Promise<Outcome> {
  const i = subject.instance;
  if (!i) return { status: 'skipped', detail: 'boot checks need a qemu target' };
  const m = await waitForConsole({ file: i.console, pattern, poweredOnAt: i.poweredOnAt, timeoutMs: timeoutS * 1000, pid: i.pid, signal });
  if (m.matched) subject.bootMs = m.elapsedMs;
  const detail = m.matched ? `booted in ${(m.elapsedMs / 1000).toFixed(1)} s: ${m.why}` : `${m.why}; console: ${m.lines.slice(-5).join(' | ') || '(empty)'}`;
  return { status: m.matched ? 'pass' : 'fail', detail, console: m.lines };
}

async function screenshot(subject: CheckSubject): Promise<Outcome> {
  const i = subject.instance;
  if (!i?.qmp) return { status: 'skipped', detail: 'no instance display' };
  const file = `${i.dir}/screen.png`;
  try {
    const bytes = await screendump(i.qmp, file);
    return { status: 'pass', detail: `screenshot ${file} (${bytes} bytes)`, screenshot: file };
  } catch (e) {
    return { status: 'fail', detail: `screendump: ${(e as Error).message}` };
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (o: Outcome) => {
      s.destroy();
      resolve(o);
    };
    s.setTimeout(timeoutMs, () => done({ status: 'fail', detail: `no answer from ${host}:${port} within ${timeoutMs / 1000} s` }));
    s.once('connect', () => done({ status: 'pass', detail: `${host}:${port} accepts connections` }));
    s.once('error', (e) => done({ status: 'fail', detail: `${host}:${port}: ${e.message}` }));
  });
}

async function httpProbe(url: string, expect: number | null, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    const ok = expect === null ? res.status >= 200 && res.status < 300 : res.status === expect;
    return { status: ok ? 'pass' : 'fail', detail: `HTTP ${res.status} from ${url}${ok ? '' : ` (expected ${expect ?? '2xx'})`}` };
  } catch (e) {
    const err = e as Error;
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : err.cause instanceof Error ? err.cause.message : err.message;
    return { status: 'fail', detail: `${url}: ${why}` };
  }
}

async function qemuImgCheck(subject: CheckSubject, timeout: number, signal?: AbortSignal): Promise<Outcome> {
  if (subject.format === 'raw') return { status: 'skipped', detail: 'raw images have no metadata for qemu-img check' };
  if (!qemuImgAvailable()) return { status: 'skipped', detail: 'qemu-img is not installed' };
  const lines: string[] = [];
  for (const i of subject.images) {
    const r = await runCommand(`qemu-img check -f ${subject.format} "$DRC_CHECK_IMAGE"`, { DRC_CHECK_IMAGE: i.path }, timeout, signal);
    if (!r.ok) return { status: 'fail', detail: `${i.volume}: ${r.output.split('\n').pop()}` };
    lines.push(`${i.volume}: ${r.output.split('\n').pop()}`);
  }
  return { status: 'pass', detail: lines.join('; ') };
}

async function outcomeOf(c: CheckConfig, subject: CheckSubject, signal?: AbortSignal): Promise<Outcome> {
  switch (c.type) {
    case 'digest':
      // the restore verified every chunk and the Merkle root; the restore steps carry the figures
      return { status: 'pass', detail: `Merkle root of ${subject.images.length} image(s) matched the recovery points` };
    case 'qemu_img_check':
      return qemuImgCheck(subject, c.timeout, signal);
    case 'command': {
      const r = await runCommand(c.command, subject.env, c.timeout, signal);
      return { status: r.ok ? 'pass' : 'fail', detail: r.output.split('\n').slice(-3).join(' | ') };
    }
    case 'tcp': {
      const a = guestAddress(c.address.host, c.address.port, subject);
      return typeof a === 'string' ? { status: 'fail', detail: a } : tcpProbe(a.host, a.port, c.timeout * 1000);
    }
    case 'http': {
      const u = new URL(c.url);
      if (u.hostname !== GUEST_HOST) return httpProbe(c.url, c.expectStatus, c.timeout * 1000);
      const a = guestAddress(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80, subject);
      if (typeof a === 'string') return { status: 'fail', detail: a };
      u.hostname = a.host;
      u.port = String(a.port);
      return httpProbe(u.toString(), c.expectStatus, c.timeout * 1000);
    }
    case 'boot':
      return bootCheck(c.console, c.timeout, subject, signal);
    case 'screenshot':
      return screenshot(subject);
  }
}

export async function runCheck(c: CheckConfig, subject: CheckSubject, clock: Clock, signal?: AbortSignal): Promise<CheckResultView> {
  const started = clock.now();
  const o = await outcomeOf(c, subject, signal);
  const finished = clock.now();
  return {
    name: c.name,
    type: c.type,
    host: subject.host,
    volume: null,
    status: o.status,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    detail: o.detail,
    ...(o.console ? { console: o.console } : {}),
    ...(o.screenshot ? { screenshot: o.screenshot } : {}),
  };
}

/**
 * Built-in checks first (qemu-img check on non-raw images), then the configured ones that
 * apply; on an instance the boot checks run before the probes and a screenshot follows them.
 */
export function checksFor(configured: CheckConfig[], names: string[] | null, subject: Pick<CheckSubject, 'host' | 'tags' | 'tier' | 'format' | 'instance'>): CheckConfig[] {
  const applicable = configured.filter((c) => (names ? names.includes(c.name) : true) && checkApplies(c, { name: subject.host, tags: subject.tags, tier: subject.tier }));
  const builtIn: CheckConfig[] =
    subject.format !== 'raw' && !applicable.some((c) => c.type === 'qemu_img_check')
      ? [{ name: 'qemu-img-check', type: 'qemu_img_check', timeout: 300, hosts: [] }]
      : [];
  if (!subject.instance) return [...builtIn, ...applicable];
  const boots = applicable.filter((c) => c.type === 'boot');
  const shot: CheckConfig = { name: 'screenshot', type: 'screenshot', timeout: 10, hosts: [] };
  return [...builtIn, ...boots, ...applicable.filter((c) => c.type !== 'boot'), shot];
}
