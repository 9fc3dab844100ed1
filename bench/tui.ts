// npm run bench:tui — the cockpit at 120×40 against a real hub with 500 simulated agents.
// A hub (`drc serve`, tiers from a drc.yaml) gets its hosts through the operator API; a
// child process runs one protocol-level agent per host (real WebSockets, host tokens;
// heartbeat and changed-block bitmap per volume at 1 Hz, resource samples as often as the
// hub's `watch` asks); another child runs the real cockpit (runCockpit → ApiClient) into a
// fake 256-colour TTY. Measured over fixed windows: bytes/s written to the terminal on the
// overview and hosts views with live data and with nothing changing (the agents keep
// sending at the same rate, with frozen values), render time per frame (CPU of each task
// that wrote to the terminal: React, layout, Ink's output), keypress→frame latency, the
// cockpit's RSS, and the hub's CPU. Prints a table; the last line is the headline.
//   BENCH_HOSTS=500  BENCH_WINDOW_S=20  BENCH_SHOW=1 (print the screens)  BENCH_KEEP=1 (keep the data dir)
//   BENCH_METRICS_MS=1000  force the agents' resource sample interval (default: as the hub's watch asks)
//   BENCH_HEAP=DIR   a heap snapshot of the cockpit at the end, into DIR
//   BENCH_PROF=DIR   CPU profiles of the hub and the cockpit (node --cpu-prof) into DIR
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../src/client/api-client.js';
import { HubProc, tempDir } from '../test/helpers/cluster.js';
import type { SimCommand, SimEvent, SimHost } from './sim-agents.js';
import type { CockpitCommand, CockpitReply, WindowStats } from './tui-cockpit.js';
import { KEY_P95_TARGET_MS, cockpitNodeFlags, percentile, terminalEnv } from './key-latency.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 500);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_S ?? 20) * 1000;
const IDLE_WINDOW_MS = Math.round(WINDOW_MS * 0.75);
const COLUMNS = 120;
const ROWS = 40;
const METRICS_MS = process.env.BENCH_METRICS_MS ? Number(process.env.BENCH_METRICS_MS) : undefined;
const KEY_SAMPLES = Number(process.env.BENCH_KEYS ?? 60);
const show = process.env.BENCH_SHOW === '1';
const keep = process.env.BENCH_KEEP === '1';
const HERE = import.meta.dirname;
const PROF = process.env.BENCH_PROF ? path.resolve(process.env.BENCH_PROF) : null;
/** the Node flags bin/drc (the installed command) starts the cockpit with */
const COCKPIT_NODE_FLAGS = cockpitNodeFlags(path.join(HERE, '../../bin/drc'));
const profArgs = (name: string): string[] => (PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF, '--cpu-prof-name', `${name}.cpuprofile`] : []);

const TARGETS = {
  liveBps: 3 * 1024,
  idleBps: 100,
  renderP95: 16,
  keyP95: KEY_P95_TARGET_MS,
  rss: 150 * 1024 * 1024,
  hubCpu: 15,
};

// ---- helpers ------------------------------------------------------------------------------
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`bench:tui: ${s}\n`);

const CLK_TCK = 100; // Linux USER_HZ
/** utime + stime of a process, in ms */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** A child process spoken to over IPC: send a command, await the next reply of a kind. */
class Peer<C, R extends { ev: string }> {
  private waiters: { ev: string; resolve: (r: R) => void; reject: (e: Error) => void }[] = [];
  readonly errors: string[] = [];
  constructor(readonly name: string, readonly proc: ChildProcess) {
    proc.on('message', (m: R) => {
      if (m.ev === 'error') {
        this.errors.push((m as unknown as { message: string }).message);
        return;
      }
      const i = this.waiters.findIndex((w) => w.ev === m.ev);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      if (m.ev === 'exited' && (m as unknown as { error: string | null }).error) log(`${name} exited: ${(m as unknown as { error: string }).error}`);
    });
    proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${name} exited (${code ?? signal}) while waiting for ${w.ev}`));
    });
  }
  send(c: C): void {
    if (!this.proc.connected) throw new Error(`${this.name} is gone (exit ${this.proc.exitCode ?? this.proc.signalCode})`);
    this.proc.send(c as object);
  }
  ask<E extends R['ev']>(c: C, ev: E, timeoutMs = 120_000): Promise<Extract<R, { ev: E }>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no ${ev} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        ev,
        resolve: (r) => { clearTimeout(t); resolve(r as Extract<R, { ev: E }>); },
        reject: (e) => { clearTimeout(t); reject(e); },
      });
      try {
        this.send(c);
      } catch (e) {
        this.waiters.pop();
        clearTimeout(t);
        reject(e as Error);
      }
    });
  }
  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
  async stop(graceMs = 2000): Promise<void> {
    if (!this.alive()) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(t);
  }
}

/** `drc serve` as HubProc starts it, under node --cpu-prof (not allowed in NODE_OPTIONS). */
// ---- the fleet ------------------------------------------------------------------------------
const ENVS = ['prod', 'prod', 'staging', 'dev'];
const ROLES = ['web', 'db', 'app', 'cache', 'batch'];
const GIB = 2 ** 30;

function fleet(n: number): { name: string; tags: string[]; tier: string | null; volumes: SimHost['volumes'] }[] {
  return Array.from({ length: n }, (_, i) => {
    const role = ROLES[i % ROLES.length]!;
    const env = ENVS[Math.floor(i / ROLES.length) % ENVS.length]!;
    const tier = i % 5 === 0 ? null : i % 5 <= 2 ? 'gold' : 'silver';
    // a 16 GiB system disk in 256 KiB blocks; db and app hosts add a 64 GiB data disk in 1 MiB blocks
    const volumes = [{ name: 'root', size: 16 * GIB, blockSize: 256 * 1024 }];
    if (role === 'db' || role === 'app') volumes.push({ name: 'data', size: 64 * GIB, blockSize: 1024 * 1024 });
    return { name: `${role}-${String(i + 1).padStart(3, '0')}`, tags: [env, role], tier, volumes };
  });
}

const CONFIG = `hub:
  name: bench-hub
tiers:
  - { name: gold, rpo: 15m, rto: 1h }
  - { name: silver, rpo: 4h, rto: 8h }
`;

// ---- the run --------------------------------------------------------------------------------
interface Measured {
  name: string;
  view: string;
  data: 'live' | 'frozen';
  stats: WindowStats;
  hubCpu: number;
  simCpu: number;
}

const children: { hub: HubProc | null; sim: Peer<SimCommand, SimEvent> | null; cockpit: Peer<CockpitCommand, CockpitReply> | null } = { hub: null, sim: null, cockpit: null };
let root = '';
let metricsNote = '';
/** stopped by a signal: what fails afterwards is the stopping, not the bench */
let interrupted = false;
const loadAtStart = os.loadavg()[0]!;

async function cleanup(): Promise<void> {
  const { hub, sim, cockpit } = children;
  children.cockpit = children.sim = children.hub = null;
  await Promise.allSettled([cockpit?.stop(), sim?.stop()]);
  if (hub) {
    const t = setTimeout(() => void hub.kill9(), PROF ? 30_000 : 5000);
    await hub.stop().catch(() => hub.kill9());
    clearTimeout(t);
  }
  if (root && !keep) fs.rmSync(root, { recursive: true, force: true });
}

/** Last resort on the way out: nothing this bench started may outlive it. */
process.on('exit', () => {
  for (const p of [children.cockpit?.proc, children.sim?.proc, children.hub?.proc]) {
    if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  if (root && !keep) fs.rmSync(root, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    interrupted = true;
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  root = tempDir('drc-bench-tui-');
  const dataDir = path.join(root, 'hub');
  const configFile = path.join(root, 'drc.yaml');
  fs.writeFileSync(configFile, CONFIG);
  const sock = path.join(dataDir, 'api.sock');

  const hub = new HubProc(dataDir, ['--config', configFile], { nodeArgs: PROF ? profArgs('hub') : [] });
  children.hub = hub;
  await hub.start();
  log(`hub pid ${hub.proc.pid} at ${hub.agentsUrl}`);

  // hosts through the operator API, a few requests in flight at a time
  const hosts = fleet(HOSTS);
  const api = await ApiClient.connect({ target: sock });
  const simHosts: SimHost[] = new Array(hosts.length);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < hosts.length) {
      const i = next++;
      const h = hosts[i]!;
      const r = await api.call('hosts.add', { name: h.name, tags: h.tags, tier: h.tier });
      simHosts[i] = { name: h.name, token: r.token, volumes: h.volumes };
    }
  }));
  log(`${hosts.length} hosts added in ${Date.now() - t0} ms`);

  const sim = new Peer<SimCommand, SimEvent>('sim-agents', fork(path.join(HERE, 'sim-agents.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  children.sim = sim;
  const ready = await sim.ask({ cmd: 'start', url: hub.agentsUrl, hosts: simHosts, metricsMs: METRICS_MS }, 'ready', 90_000);
  const listed = await api.call('hosts.list', {});
  const connected = listed.filter((h) => h.link === 'connected').length;
  api.close();
  metricsNote = ready.metricsMs.map((ms) => `${ms / 1000} s`).join('/');
  log(`${ready.connected} agents welcomed in ${ready.ms} ms (resource samples every ${metricsNote}); hub lists ${connected}/${listed.length} connected`);
  if (connected !== HOSTS) throw new Error(`only ${connected} of ${HOSTS} hosts connected (${sim.errors.slice(0, 3).join('; ')})`);

  const cockpit = new Peer<CockpitCommand, CockpitReply>('cockpit', fork(path.join(HERE, 'tui-cockpit.js'), [], { env: terminalEnv(), execArgv: [...COCKPIT_NODE_FLAGS, ...profArgs('cockpit')], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  children.cockpit = cockpit;
  // piped, not inherited: Ink hides and shows the cursor on stderr when that is a terminal
  let cockpitLog = '';
  cockpit.proc.stdout!.on('data', (d: Buffer) => (cockpitLog += d.toString()));
  cockpit.proc.stderr!.on('data', (d: Buffer) => (cockpitLog += d.toString()));
  cockpit.proc.on('exit', (code, signal) => {
    if (code !== 0 || cockpitLog) log(`cockpit exited (${code ?? signal})${cockpitLog ? `: ${cockpitLog.slice(-2000)}` : ''}`);
  });
  const cpid = cockpit.proc.pid!;
  await cockpit.ask({ cmd: 'start', target: sock, columns: COLUMNS, rows: ROWS }, 'started', 30_000);
  const screen = async (): Promise<string> => (await cockpit.ask({ cmd: 'screen' }, 'screen')).screen;
  const waitScreen = async (what: string, test: (s: string) => boolean, ms = 15_000): Promise<string> => {
    const until = Date.now() + ms;
    for (;;) {
      const s = await screen();
      if (test(s)) return s;
      if (Date.now() > until) throw new Error(`cockpit never showed ${what}; screen:\n${s}`);
      await sleep(200);
    }
  };
  await waitScreen(`hosts ${HOSTS}/${HOSTS}`, (s) => s.includes(`hosts ${HOSTS}/${HOSTS}`) && s.includes('Throughput'));
  log(`cockpit pid ${cpid} (node ${COCKPIT_NODE_FLAGS.join(" ") || "defaults"}, as bin/drc starts it) on the overview; warming up`);
  const rssStart = statusKb(cpid, 'VmHWM');
  await sleep(5000);

  const results: Measured[] = [];
  const measure = async (name: string, view: string, data: Measured['data'], ms: number): Promise<Measured> => {
    const h0 = cpuMsOf(hub.proc.pid!);
    const s0 = cpuMsOf(sim.proc.pid!);
    const w0 = Date.now();
    const { stats } = await cockpit.ask({ cmd: 'window', ms }, 'window', ms + 30_000);
    const wall = Date.now() - w0;
    const m = {
      name, view, data, stats,
      hubCpu: ((cpuMsOf(hub.proc.pid!) - h0) / wall) * 100,
      simCpu: ((cpuMsOf(sim.proc.pid!) - s0) / wall) * 100,
    };
    results.push(m);
    log(`${name}: ${(stats.bytes / (stats.ms / 1000)).toFixed(0)} B/s, ${stats.writes} writes, ${stats.frames.length} frames, hub ${m.hubCpu.toFixed(1)}% cpu`);
    if (show) process.stderr.write(`${await screen()}\n`);
    return m;
  };

  await measure('overview, live', 'overview', 'live', WINDOW_MS);

  await cockpit.ask({ cmd: 'keys', text: ':hosts\r' }, 'ok');
  await waitScreen('the hosts view', (s) => s.includes(`Hosts (${HOSTS})`));
  await sleep(2000);
  await measure('hosts, live', 'hosts', 'live', WINDOW_MS);

  log(`keypress latency: ${KEY_SAMPLES} × j/k on the hosts view, live data`);
  const keys = await cockpit.ask({ cmd: 'keylat', count: KEY_SAMPLES, keys: ['j', 'j', 'k'], gapMs: [120, 320], timeoutMs: 2000 }, 'keylat', 120_000);

  sim.send({ cmd: 'mode', mode: 'frozen' });
  await sleep(3000);
  await measure('hosts, nothing changes', 'hosts', 'frozen', IDLE_WINDOW_MS);
  await cockpit.ask({ cmd: 'keys', text: '\x1b' }, 'ok');
  await waitScreen('the overview', (s) => s.includes('Throughput, last 15 min'));
  await sleep(2000);
  await measure('overview, nothing changes', 'overview', 'frozen', IDLE_WINDOW_MS);

  if (process.env.BENCH_HEAP) await cockpit.ask({ cmd: 'heap', file: path.resolve(process.env.BENCH_HEAP, 'cockpit.heapsnapshot') }, 'ok', 60_000);
  const rssPeak = statusKb(cpid, 'VmHWM');
  const rssNow = statusKb(cpid, 'VmRSS');
  cockpit.send({ cmd: 'quit' });
  await Promise.race([new Promise((r) => cockpit.proc.once('exit', r)), sleep(3000)]);

  report(results, keys, rssPeak, rssNow, rssStart, Date.now() - t0);
}

function report(results: Measured[], keys: Extract<CockpitReply, { ev: 'keylat' }>, rssPeak: number, rssNow: number, rssStart: number, totalMs: number): void {
  const bps = (m: Measured): number => m.stats.bytes / (m.stats.ms / 1000);
  const kb = (b: number): string => (b >= 1024 ? `${(b / 1024).toFixed(2)} KB/s` : `${b.toFixed(0)} B/s`);
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  const pct = (x: number): string => `${x.toFixed(1)}%`;

  const live = results.filter((r) => r.data === 'live');
  const idle = results.filter((r) => r.data === 'frozen');
  const frames = [...live.flatMap((r) => r.stats.frames), ...keys.frames, ...idle.flatMap((r) => r.stats.frames)];
  const frameCpu = [...live.flatMap((r) => r.stats.frameCpu), ...keys.frameCpu, ...idle.flatMap((r) => r.stats.frameCpu)];
  const liveMax = Math.max(...live.map(bps));
  const idleMax = Math.max(...idle.map(bps));
  const hubLive = Math.max(...live.map((r) => r.hubCpu));
  const renderP95 = percentile(frameCpu, 95);
  const keyP95 = keys.timeouts > 0 ? Infinity : percentile(keys.samples, 95);

  const rows: string[][] = [['measure', 'value', 'target', 'ratio', '']];
  const check = (name: string, value: number, text: string, target: number, ttext: string): boolean => {
    const ok = value <= target;
    rows.push([name, text, `≤ ${ttext}`, `${(value / target).toFixed(2)}×`, ok ? 'ok' : 'MISS']);
    return ok;
  };
  const info = (name: string, text: string): void => void rows.push([name, text, '', '', '']);

  for (const r of results) {
    const t = r.data === 'live' ? TARGETS.liveBps : TARGETS.idleBps;
    check(`bytes/s ${r.name}`, bps(r), kb(bps(r)), t, kb(t));
  }
  for (const r of results) {
    const f = r.stats.frameCpu;
    info(`  frames/s, writes/s ${r.name}`, `${(f.length / (r.stats.ms / 1000)).toFixed(2)}, ${(r.stats.writes / (r.stats.ms / 1000)).toFixed(2)}${f.length ? ` (CPU/frame p50 ${ms(percentile(f, 50))}, p95 ${ms(percentile(f, 95))})` : ''}`);
  }
  info('render per frame p50 (cockpit CPU)', ms(percentile(frameCpu, 50)));
  check('render per frame p95 (cockpit CPU)', renderP95, ms(renderP95), TARGETS.renderP95, ms(TARGETS.renderP95));
  info('render per frame max (cockpit CPU)', `${ms(Math.max(...frameCpu))} (${frameCpu.length} frames)`);
  info('  key frames CPU p50/p95', `${ms(percentile(keys.frameCpu, 50))} / ${ms(percentile(keys.frameCpu, 95))}`);
  info('  render per frame p50/p95 (wall)', `${ms(percentile(frames, 50))} / ${ms(percentile(frames, 95))}`);
  info('key→frame p50 (wall)', `${ms(percentile(keys.samples, 50))} (${keys.samples.length} keys, ${keys.timeouts} without a frame)`);
  check('key→frame p95 (wall)', keyP95, ms(keyP95), TARGETS.keyP95, ms(TARGETS.keyP95));
  check('cockpit RSS (peak)', rssPeak, `${mb(rssPeak)} (now ${mb(rssNow)})`, TARGETS.rss, mb(TARGETS.rss));
  for (const r of results) info(`  cockpit CPU ${r.name}`, pct((r.stats.cpuMs / r.stats.ms) * 100));
  for (const r of results) {
    const perS = Object.entries(r.stats.updates).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(n / (r.stats.ms / 1000)).toFixed(n < r.stats.ms / 1000 ? 1 : 0)}`);
    info(`  hub updates/s to the cockpit, ${r.name}`, perS.join(', ') || 'none');
  }
  info('  cockpit RSS after the snapshot, before measuring', mb(rssStart));
  for (const r of results) info(`  cockpit RSS max, at end, JS heap at end: ${r.name}`, `${mb(r.stats.rssMax)}, ${mb(r.stats.rss)}, ${mb(r.stats.heapUsed)}`);
  for (const r of results) {
    if (r.data === 'live') check(`hub CPU ${r.name}`, r.hubCpu, pct(r.hubCpu), TARGETS.hubCpu, pct(TARGETS.hubCpu));
    else info(`hub CPU ${r.name}`, pct(r.hubCpu));
  }
  for (const r of results) info(`  sim-agents CPU ${r.name}`, pct(r.simCpu));

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(`\nnpm run bench:tui — ${HOSTS} simulated hosts (heartbeat and bitmaps at 1 Hz, metrics every ${metricsNote}), cockpit ${COLUMNS}×${ROWS}, ${WINDOW_MS / 1000} s windows (${(totalMs / 1000).toFixed(0)} s in all)\n`);
  process.stdout.write(`machine: ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end (wall-clock figures stretch on a busy machine)\n\n`);
  process.stdout.write(`${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);

  const heads: [string, number, number, string][] = [
    ['live', liveMax, TARGETS.liveBps, kb(liveMax)],
    ['idle', idleMax, TARGETS.idleBps, kb(idleMax)],
    ['render p95', renderP95, TARGETS.renderP95, ms(renderP95)],
    ['key p95', keyP95, TARGETS.keyP95, ms(keyP95)],
    ['RSS', rssPeak, TARGETS.rss, mb(rssPeak)],
    ['hub', hubLive, TARGETS.hubCpu, pct(hubLive)],
  ];
  const met = heads.filter(([, v, t]) => v <= t).length;
  const parts = heads.map(([n, v, t, text]) => `${n} ${text} (${(v / t).toFixed(2)}×) ${v <= t ? 'pass' : 'FAIL'}`);
  process.stdout.write(`\nheadline: ${met}/${heads.length} targets met — ${parts.join(' · ')}\n`);
  if (met < heads.length) process.exitCode = 1;
}

main()
  .catch((e: unknown) => {
    if (interrupted) return;
    log(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    if (children.hub) log(`hub log tail: ${children.hub.log.slice(-500)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
