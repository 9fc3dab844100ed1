// Durable restores alone, to compare builds on one loaded machine: backs up a `mixed` image
// once (full, 5% rewritten, incremental), then restores its latest point again and again with
// hubs of the given builds taking turns on the same data directory, and borg-fixed's restore
// of the same image state when RL_BORG=1. Prints each restore's wall seconds, hub CPU seconds
// (and peak RSS) and the hub's phases, then min/median/max per build. RL_MIB (default 2048), RL_RUNS (3),
// RL_BUILDS (comma-separated bin/drc.js paths; default this build's), RL_VERIFY=0 skips the
// byte-for-byte check, RL_NOSYNC=1 restores with --no-fsync, RL_HUB_NODE_ARGS passes node flags to the hubs, RL_ENCRYPT=1 makes the store encrypted at rest (a passphrase file).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mixedImage } from './images.js';
import { cpuOf } from './proc-cpu.js';
import { AgentProc, DRC, rewriteBlocks, sha256File, tempDir, waitFor, type RunResult } from '../test/helpers/cluster.js';

const MIB = Number(process.env.RL_MIB ?? 2048);
const RUNS = Number(process.env.RL_RUNS ?? 3);
const BUILDS = (process.env.RL_BUILDS ?? DRC).split(',').filter(Boolean);
const VERIFY = process.env.RL_VERIFY !== '0';
const BORG = process.env.RL_BORG === '1';
const ENCRYPT = process.env.RL_ENCRYPT === '1';
/** RL_NOSYNC=1: `drc restore --no-fsync` */
const NOSYNC = process.env.RL_NOSYNC === '1';
/** node flags for the hubs, e.g. `--cpu-prof --cpu-prof-dir=DIR` (a profile per thread) */
const HUB_NODE_ARGS = (process.env.RL_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);

function run(bin: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function startHub(bin: string, data: string): Promise<{ proc: ChildProcess; agents: string }> {
  fs.rmSync(path.join(data, 'hub.json'), { force: true });
  const config = ENCRYPT ? ['--config', path.join(path.dirname(data), 'store.yaml')] : [];
  const proc = spawn(process.execPath, [...HUB_NODE_ARGS, bin, 'serve', '--data', data, ...config, '--listen-agents', '127.0.0.1:0', '--listen-http', 'off'], { stdio: 'ignore' });
  const info = await waitFor('the hub', () => {
    try {
      return JSON.parse(fs.readFileSync(path.join(data, 'hub.json'), 'utf8')) as { agents: string };
    } catch {
      return null;
    }
  });
  return { proc, agents: info.agents };
}

async function stopHub(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}

async function json<T>(bin: string, args: string[]): Promise<T> {
  const r = await run(bin, [...args, '--json']);
  if (r.code !== 0) throw new Error(`drc ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function phasesOf(data: string, job: number): string {
  for (const l of fs.readFileSync(path.join(data, 'hub.log'), 'utf8').split('\n').reverse()) {
    if (!l.includes('"restore"')) continue;
    const j = JSON.parse(l) as { job?: number; restore?: Record<string, number> };
    if (j.job === job && j.restore) return Object.entries(j.restore).map(([k, v]) => `${k} ${v}`).join(', ');
  }
  return '';
}

const root = tempDir('drc-restore-loop-');
const data = path.join(root, 'hub');
const image = path.join(root, 'disk.img');
const out = path.join(root, 'restored.img');
try {
  mixedImage(image, MIB);
  if (ENCRYPT) {
    fs.writeFileSync(path.join(root, 'pass'), 'bench passphrase\n');
    fs.writeFileSync(path.join(root, 'store.yaml'), `store:\n  type: local\n  encryption:\n    passphrase_file: ${path.join(root, 'pass')}\n`);
  }
  let hub = await startHub(BUILDS[0]!, data);
  const token = (await json<{ token: string }>(BUILDS[0]!, ['hosts', 'add', 'loop', '--data', data])).token;
  const agent = new AgentProc(hub.agents, 'loop', token, { disk: image }, path.join(root, 'agent'), ['--watch', '0']).start();
  await waitFor('the agent', async () => (await json<{ name: string; link: string }[]>(BUILDS[0]!, ['hosts', '--data', data])).some((h) => h.name === 'loop' && h.link === 'connected'));
  await json(BUILDS[0]!, ['backup', 'loop', '--wait', '--full', '--data', data]);
  rewriteBlocks(image, Math.round((MIB << 20) / 65536 / 20));
  await json(BUILDS[0]!, ['backup', 'loop', '--wait', '--data', data]);
  await agent.stop();
  const want = VERIFY ? sha256File(image) : '';
  const borgRepo = path.join(root, 'borg');
  const borgEnv = { ...process.env, BORG_BASE_DIR: path.join(root, 'borg-base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
  if (BORG) {
    spawnSync('borg', ['init', '-e', 'none', borgRepo], { env: borgEnv });
    spawnSync('borg', ['create', '--chunker-params', 'fixed,65536', `${borgRepo}::inc`, 'disk.img'], { env: borgEnv, cwd: root });
  }
  const times = new Map<string, number[]>();
  const note = (k: string, s: number) => times.set(k, [...(times.get(k) ?? []), s]);
  for (let r = 0; r < RUNS; r++) {
    for (const [b, bin] of BUILDS.entries()) {
      await stopHub(hub.proc);
      hub = await startHub(bin, data);
      const c0 = cpuOf(hub.proc.pid);
      const t = performance.now();
      const res = await run(bin, ['restore', 'loop', '--volume', 'disk', '--point', 'latest', '--to', out, '--json', '--data', data, ...(NOSYNC ? ['--no-fsync'] : [])]);
      const s = (performance.now() - t) / 1000;
      const cpu = cpuOf(hub.proc.pid) - c0;
      const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${hub.proc.pid}/status`, 'utf8'))?.[1];
      if (res.code !== 0) throw new Error(`restore: ${res.stderr}`);
      if (VERIFY && sha256File(out) !== want) throw new Error(`build ${b}: the restore is not byte-identical`);
      fs.rmSync(out);
      note(`build ${b}`, s);
      console.log(`run ${r + 1} build ${b}: ${s.toFixed(2)} s, hub ${cpu.toFixed(2)} cpu-s, peak RSS ${Math.round(Number(hwm) / 1024)} MB; ${phasesOf(data, (JSON.parse(res.stdout) as { id: number }).id)}`);
    }
    if (BORG) {
      const o = path.join(root, 'borg-out');
      fs.mkdirSync(o, { recursive: true });
      const t = performance.now();
      spawnSync('borg', ['extract', `${borgRepo}::inc`], { env: borgEnv, cwd: o });
      const s = (performance.now() - t) / 1000;
      fs.rmSync(o, { recursive: true });
      note('borg-fixed', s);
      console.log(`run ${r + 1} borg-fixed: ${s.toFixed(2)} s`);
    }
  }
  await stopHub(hub.proc);
  for (const [k, v] of times) {
    const s = [...v].sort((a, b) => a - b);
    console.log(`${k} (${BUILDS[Number(k.split(' ')[1])] ?? 'borg'}): min/median/max ${s[0]!.toFixed(2)}/${s[Math.floor((s.length - 1) / 2)]!.toFixed(2)}/${s[s.length - 1]!.toFixed(2)} s`);
  }
} finally {
  if (process.env.RL_KEEP !== '1') fs.rmSync(root, { recursive: true, force: true });
}
