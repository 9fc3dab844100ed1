// npm run bench:load — does the hub stay responsive while many agents back up at once? A real
// hub (`drc serve`) and BENCH_AGENTS real agents (`drc agent`, default 40), each protecting its
// own BENCH_LOAD_MIB image (default 16 MiB, bench/images.ts mixed data), all asked for a full at
// the same moment. Meanwhile an operator asks for the hub's status: over one API connection
// every 100 ms (what the cockpit does) and as `drc status --json` processes one after another
// (what a script does; includes node's start). And an operator at the cockpit: `drc cockpit`
// in a real tmux pane on that hub, driven by keys during the load (bench/load-cockpit.ts),
// each key timed to the frame that shows its effect. Prints p50/p95/max of all three, the
// hub's CPU seconds per GiB of blocks received and its peak RSS; the last line is the headline.
//   BENCH_COCKPIT=0  no cockpit   BENCH_COCKPIT_PROF=DIR  its CPU profile
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../src/client/api-client.js';
import { mixedImage } from './images.js';
import { KEY_P95_TARGET_MS, keyLatencyLine, percentile as pct } from './key-latency.js';
import { LoadCockpit, type KeySample } from './load-cockpit.js';
import { AgentProc, DRC, HubProc, ROOT, tempDir } from '../test/helpers/cluster.js';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 40);
const MIB = Number(process.env.BENCH_LOAD_MIB ?? 16);
const keep = process.env.BENCH_KEEP === '1';
const COCKPIT = process.env.BENCH_COCKPIT !== '0';
/** pause between an operator's keys, ms (bench:tui's range) */
const keyGap = (): number => 120 + Math.random() * 200;
/** node flags for the hub (e.g. --cpu-prof) */
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);

function log(s: string): void {
  process.stderr.write(`bench:load: ${s}\n`);
}

/** CPU seconds (user + system, all threads) and RSS bytes of a process */
function procStat(pid: number | undefined): { cpu: number; rss: number } {
  if (pid === undefined) return { cpu: 0, rss: 0 };
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(rest[11]) + Number(rest[12])) / 100, rss: Number(rest[21]) * 4096 };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

const line = (what: string, xs: number[]) =>
  `${what}: ${xs.length} calls, p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

/** `drc status --json` wall ms, one process at a time, until `until` says stop */
async function cliStatus(hub: HubProc, until: () => boolean): Promise<number[]> {
  const out: number[] = [];
  while (!until()) {
    const t = performance.now();
    const code = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, [DRC, 'status', '--json', '--data', hub.dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (c) => resolve(c === 0 ? 0 : (log(`drc status --json exited ${c}: ${err.trim()}`), 1)));
    });
    if (code !== 0) throw new Error('drc status --json failed');
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const root = tempDir('drc-bench-load-');
  const hub = await new HubProc(path.join(root, 'hub'), [], { nodeArgs: HUB_NODE_ARGS }).start();
  const agents: { host: string; dir: string; agent: AgentProc }[] = [];
  let stopCockpit = async (): Promise<void> => undefined;
  try {
    log(`${AGENTS} agents with ${MIB} MiB images`);
    const api = await ApiClient.connect({ target: path.join(hub.dataDir, 'api.sock') });
    for (let k = 0; k < AGENTS; k++) {
      const host = `load-${String(k).padStart(2, '0')}`;
      const image = path.join(root, `${host}.img`);
      mixedImage(image, MIB);
      const dir = path.join(root, `agent-${host}`);
      const { token } = await api.call('hosts.add', { name: host });
      agents.push({ host, dir, agent: new AgentProc(hub.agentsUrl, host, token, { disk: image }, dir, ['--watch', '0']).start() });
    }
    const deadline = Date.now() + 180_000;
    while ((await api.call('hosts.list', {})).filter((h) => h.link === 'connected').length < AGENTS) {
      if (Date.now() > deadline) throw new Error('not every agent connected within 180 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    let cockpit: LoadCockpit | null = null;
    const idleKeys: KeySample[] = [];
    if (COCKPIT) {
      cockpit = new LoadCockpit(root, /load-\d+/, AGENTS);
      stopCockpit = () => cockpit!.quit();
      await cockpit.start(path.join(ROOT, 'bin', 'drc'), hub.dataDir);
      log('cockpit in tmux on the hosts view; two rounds of keys before the load');
      for (let r = 0; r < 2; r++) await cockpit.round(keyGap);
      idleKeys.push(...cockpit.samples.splice(0));
    }
    // idle first: what an answer costs when nothing else happens
    const idle: number[] = [];
    for (let k = 0; k < 20; k++) {
      const t = performance.now();
      await api.call('hub.status', {});
      idle.push(performance.now() - t);
    }
    log('every agent starts a full backup');
    const c0 = procStat(hub.proc.pid).cpu;
    let peakRss = 0;
    let done = false;
    const t0 = performance.now();
    const jobs = Promise.all(agents.map((a) => api.call('backup.start', { host: a.host, full: true })));
    const started = await jobs;
    const ids = new Set(started.map((j) => j.id));
    const apiMs: number[] = [];
    const poll = (async () => {
      while (!done) {
        const t = performance.now();
        await api.call('hub.status', {});
        apiMs.push(performance.now() - t);
        peakRss = Math.max(peakRss, procStat(hub.proc.pid).rss);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const cli = cliStatus(hub, () => done);
    const cockpitCpu0 = cockpit?.cpuSeconds() ?? 0;
    const keys = (async () => {
      while (cockpit && !done) await cockpit.round(keyGap);
    })();
    let failed = 0;
    for (;;) {
      const all = (await api.call('jobs.list', {})).filter((j) => ids.has(j.id));
      const open = all.filter((j) => j.state === 'queued' || j.state === 'running');
      if (open.length === 0) {
        failed = all.filter((j) => j.state !== 'succeeded').length;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    done = true;
    const keysUnderLoad = cockpit?.samples.length ?? 0;
    const cpu = procStat(hub.proc.pid).cpu - c0;
    await poll;
    const cliMs = await cli;
    await keys;
    const cockpitCpu = (cockpit?.cpuSeconds() ?? 0) - cockpitCpu0;
    const cockpitRss = cockpit?.peakRss() ?? NaN;
    // keys pressed after the last full ended were not under load
    const loadKeys = cockpit?.samples.slice(0, keysUnderLoad) ?? [];
    api.close();
    const gib = (AGENTS * MIB * 0.75) / 1024; // a quarter of a mixed image is zeros: never sent
    console.log(`drc bench:load — ${AGENTS} agents, ${MIB} MiB images each, all doing a full backup at once, ${os.availableParallelism()}-core machine`);
    console.log(`all fulls done in ${seconds.toFixed(1)} s (${failed} failed); hub ${cpu.toFixed(2)} cpu-s = ${(cpu / gib).toFixed(2)} cpu-s/GiB of blocks sent, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    console.log(line('hub.status over one API connection, idle', idle));
    console.log(line('hub.status over one API connection, under load', apiMs));
    console.log(line('drc status --json (a new process each), under load', cliMs));
    const ms = (xs: KeySample[]): number[] => xs.flatMap((k) => (k.ms === null ? [] : [k.ms]));
    const lost = (xs: KeySample[]): number => xs.filter((k) => k.ms === null).length;
    if (cockpit) {
      console.log(keyLatencyLine('cockpit key→frame in tmux, idle', ms(idleKeys), lost(idleKeys)));
      for (const a of ['select', 'open', 'back', 'command', 'view']) {
        const xs = loadKeys.filter((k) => k.action === a);
        console.log(`  ${a.padEnd(7)} under load: ${xs.length} keys, p50 ${pct(ms(xs), 50).toFixed(1)} ms, p95 ${pct(ms(xs), 95).toFixed(1)} ms, max ${Math.max(...ms(xs)).toFixed(1)} ms${lost(xs) ? `, ${lost(xs)} without a frame` : ''}`);
      }
      const on = loadKeys.map((k) => k.cpuMs);
      const wait = loadKeys.map((k) => k.waitMs);
      console.log(`  cockpit main thread per key under load: on a CPU p50 ${pct(on, 50).toFixed(1)} / p95 ${pct(on, 95).toFixed(1)} ms, waiting for a CPU p50 ${pct(wait, 50).toFixed(1)} / p95 ${pct(wait, 95).toFixed(1)} ms; ` +
        `key→frame less that wait p95 ${pct(loadKeys.flatMap((k) => (k.ms === null ? [] : [k.ms - k.waitMs])), 95).toFixed(1)} ms; machine load average ${os.loadavg()[0]!.toFixed(1)}`);
      console.log(keyLatencyLine('cockpit key→frame in tmux, under load', ms(loadKeys), lost(loadKeys)) + `; cockpit ${cockpitCpu.toFixed(2)} cpu-s during the load, peak RSS ${(cockpitRss / 2 ** 20).toFixed(0)} MiB`);
    }
    const keyP95 = lost(loadKeys) > 0 ? Infinity : pct(ms(loadKeys), 95);
    console.log(`headline: operator API p95 ${pct(apiMs, 95).toFixed(0)} ms under load (target <= 200), ` +
      (cockpit ? `cockpit key→frame p95 ${keyP95.toFixed(0)} ms (target <= ${KEY_P95_TARGET_MS}), ` : '') +
      `drc status --json p95 ${pct(cliMs, 95).toFixed(0)} ms`);
    if (failed > 0) process.exitCode = 1;
  } finally {
    await stopCockpit();
    await Promise.all(agents.map((a) => a.agent.stop()));
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:load failed: ${(e as Error).message}\n`);
  process.exit(1);
});
