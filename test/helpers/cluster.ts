// Real processes for integration tests: a hub (`drc serve`) and agents (`drc agent`) on
// loopback with ephemeral ports and temp directories.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function projectRoot(from: string): string {
  let d = from;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}
export const ROOT = projectRoot(import.meta.dirname);
export const DRC = path.join(ROOT, 'bin', 'drc.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function drc(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [DRC, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export function tempDir(prefix = 'drc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class HubProc {
  proc!: ChildProcess;
  agentsUrl = '';
  httpUrl: string | null = null;
  log = '';
  constructor(
    readonly dataDir: string,
    readonly extra: string[] = [],
    /** where agents connect and where /metrics is (`off` for none); node's own flags (profiling) */
    readonly listen: { agents?: string; http?: string; nodeArgs?: string[] } = {},
  ) {}

  async start(): Promise<this> {
    fs.rmSync(path.join(this.dataDir, 'hub.json'), { force: true });
    const { agents = '127.0.0.1:0', http = '127.0.0.1:0', nodeArgs = [] } = this.listen;
    this.proc = spawn(process.execPath, [...nodeArgs, DRC, 'serve', '--data', this.dataDir, '--listen-agents', agents, '--listen-http', http, ...this.extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    // the hub's output also into a file (node's --trace-gc and the like, for profiling)
    const logFile = process.env.DRC_HUB_LOG_FILE;
    if (logFile) for (const s of [this.proc.stdout!, this.proc.stderr!]) s.on('data', (d: Buffer) => fs.appendFileSync(logFile, d));
    const info = await waitFor(`hub in ${this.dataDir} (log: ${this.log.slice(-300)})`, () => {
      if (this.proc.exitCode !== null) throw new Error(`hub exited: ${this.log}`);
      try {
        return JSON.parse(fs.readFileSync(path.join(this.dataDir, 'hub.json'), 'utf8')) as { agents: string; http: string | null };
      } catch {
        return null;
      }
    });
    this.agentsUrl = info.agents;
    this.httpUrl = info.http;
    return this;
  }

  run(args: string[]): Promise<RunResult> {
    return drc([...args, '--data', this.dataDir]);
  }

  async json<T>(args: string[]): Promise<T> {
    const r = await this.run([...args, '--json']);
    if (r.code !== 0) throw new Error(`drc ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async addHost(name: string): Promise<string> {
    const r = await this.json<{ token: string }>(['hosts', 'add', name]);
    return r.token;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await done;
  }

  async kill9(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await done;
  }
}

export class AgentProc {
  proc!: ChildProcess;
  log = '';
  constructor(
    readonly hubUrl: string,
    readonly host: string,
    readonly token: string,
    readonly volumes: Record<string, string>,
    readonly dataDir: string,
    readonly extra: string[] = [],
    /** node's own flags (profiling) */
    readonly nodeArgs: string[] = [],
  ) {}

  start(): this {
    const vols = Object.entries(this.volumes).flatMap(([n, p]) => ['--volume', `${n}=${p}`]);
    this.proc = spawn(process.execPath, [...this.nodeArgs, DRC, 'agent', '--hub', this.hubUrl, '--host', this.host, '--token', this.token, '--data', this.dataDir, ...vols, ...this.extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await done;
  }
}

/** Wait until the hub lists the host as connected. */
export async function waitConnected(hub: HubProc, host: string): Promise<void> {
  await waitFor(`${host} connected`, async () => {
    const hosts = await hub.json<{ name: string; link: string }[]>(['hosts']);
    return hosts.some((h) => h.name === host && h.link === 'connected');
  });
}

/** An image half random, half text-like (compressible), with a sparse hole. */
export function makeImage(file: string, mib: number): void {
  const fd = fs.openSync(file, 'w');
  const chunk = 1024 * 1024;
  const text = Buffer.from('drc test line: the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(Math.ceil(chunk / 70)).slice(0, chunk));
  for (let i = 0; i < mib; i++) {
    if (i % 8 === 7) continue; // holes: all-zero blocks
    fs.writeSync(fd, i < mib / 2 ? randomBytes(chunk) : text, 0, chunk, i * chunk);
  }
  fs.ftruncateSync(fd, mib * chunk);
  fs.closeSync(fd);
}

/** Rewrite `count` distinct random blocks; returns their indices. */
export function rewriteBlocks(file: string, count: number, blockSize = 65536): number[] {
  const blocks = Math.floor(fs.statSync(file).size / blockSize);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, blocks)) chosen.add(Math.floor(Math.random() * blocks));
  const fd = fs.openSync(file, 'r+');
  for (const i of chosen) fs.writeSync(fd, randomBytes(blockSize), 0, blockSize, i * blockSize);
  fs.closeSync(fd);
  return [...chosen].sort((a, b) => a - b);
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
