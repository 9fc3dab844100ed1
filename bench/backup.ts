// npm run bench:backup — two images that look like real disks (bench/images.ts): `mixed`, 1 MiB
// chunks half random, a quarter zeros, a quarter unique log text, then 5% of its 64 KiB blocks
// rewritten; `ext4`, a filesystem full of generated files, then 5% new files. Each goes through
// bin/drc as a user runs it (serve, agent, backup --full --wait, backup --wait, restore), and the
// same image states through borg (default chunker and fixed,65536) and restic when installed; a
// third image served by qemu-storage-daemon shows the qemu-dirty-bitmap tracker (backup-cbt.ts).
// Prints wall seconds, bytes and each drc job's phases (agent and hub logs), then drc/peer
// ratios; the last line is the headline. BENCH_MIB sizes the images (default 2048); BENCH_RESTORE_RUNS
// repeats the restores, tools taking turns (median rows, min/median/max in the note);
// BENCH_HUB_NODE_ARGS / BENCH_AGENT_NODE_ARGS pass node flags (e.g. --cpu-prof) to the processes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentRun, benchDirtyBitmap, phaseLines, spread, type AgentJobLog, type DirtyBitmapBench } from './backup-cbt.js';
import { benchStorage, storageSummary, type StorageRow } from './backup-storage.js';
import { benchFulls, fullsLines } from './backup-fulls.js';
import { durableWrite } from './disk-floor.js';
import { transportFloor } from './transport-floor.js';
import { addFiles, filesystemImage, haveMkfs, mixedImage } from './images.js';
import { AgentProc, HubProc, rewriteBlocks, sha256File, tempDir, waitConnected } from '../test/helpers/cluster.js';

const MIB = Number(process.env.BENCH_MIB ?? 2048);
const BLOCK = 65536;
const keep = process.env.BENCH_KEEP === '1';
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
const AGENT_NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** `fulls`: only the full through scan against the full through qemu-dirty-bitmap; `cbt`: only the dirty-bitmap section (no scan tracker, borg, restic or restores); `storage`: only the S3, encryption and copy rows; `hub`: only the hub CPU per GiB with 1 and 4 agents; `nostorage`: all but those */
const ONLY = process.env.BENCH_ONLY ?? '';
/** incrementals in the dirty-bitmap section, each after its own 5% rewrite */
const CBT_RUNS = Number(process.env.BENCH_CBT_RUNS ?? (ONLY === 'cbt' ? 5 : 1));
/** restores of each tool per image, taking turns (rows show the median) */
const RESTORE_RUNS = Math.max(1, Number(process.env.BENCH_RESTORE_RUNS ?? 1));

interface Row {
  tool: string;
  /** which image (mixed, ext4, cbt) */
  image: string;
  step: string;
  seconds: number;
  bytes: number | null;
  /** CPU seconds (user + system) of every process of the tool (drc: hub, agent and CLI) */
  cpu?: number;
  note?: string;
}
const rows: Row[] = [];

function du(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

function timed<T>(fn: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** CPU seconds (user + system) the peer tools used, by `times` of the shell that ran them */
let peerCpu = 0;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): void {
  const r = spawnSync('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'bash', cmd, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const err = r.stderr.toString();
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${err.slice(-400)}`);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err.trim());
  if (m) peerCpu += Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** CPU seconds (user + system, all threads) a process has used so far */
function cpuOf(pid: number | undefined): number {
  const c = cpuSplit(pid);
  return c.user + c.system;
}

/** peak resident memory (MB) of a process so far (VmHWM) */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Start measuring a process's peak RSS afresh (writing 5 to clear_refs resets VmHWM). */
function resetPeakRss(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted here: the peak then counts from the process's start
  }
}

/** the peak RSS of agent and hub during each image's full */
const rssNotes: string[] = [];

function cpuSplit(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: 0, system: 0 };
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { user: Number(rest[11]) / 100, system: Number(rest[12]) / 100 };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU seconds (user + system) of a process's main thread: the rest of its CPU is V8's helper threads (GC marking and scavenging, JIT) and node's thread pool */
function mainThreadCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds the peer's step used */
function peerTimed(fn: () => void): [number, number] {
  const c = peerCpu;
  const [, s] = timed(fn);
  return [s, peerCpu - c];
}

/**
 * Keep every tool on the same footing: the image stays in the page cache for all of them,
 * and no tool pays for the previous one's dirty pages being written back during its run.
 */
function settle(): void {
  spawnSync('sync');
}

interface Peer {
  name: string;
  backup(image: string, tag: string): void;
  restore(tag: string, out: string): void;
  repo: string;
}

function borgPeer(root: string, dir: string, name: string, chunker: string[]): Peer {
  const repo = path.join(root, dir);
  const env = { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: path.join(root, `${dir}-base`) };
  run('borg', ['init', '-e', 'none', repo], env);
  return {
    name,
    repo,
    backup: (image, tag) => run('borg', ['create', ...chunker, `${repo}::${tag}`, path.basename(image)], env, path.dirname(image)),
    restore: (tag, out) => {
      const dir = `${out}.d`;
      fs.mkdirSync(dir, { recursive: true });
      run('borg', ['extract', `${repo}::${tag}`], env, dir);
      const [f] = fs.readdirSync(dir);
      fs.renameSync(path.join(dir, f!), out);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function resticPeer(root: string, label: string): Peer {
  const repo = path.join(root, `restic-${label}`);
  const env = { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: path.join(root, 'restic-cache') };
  run('restic', ['init', '-r', repo], env);
  return {
    name: 'restic',
    repo,
    backup: (image, tag) => run('restic', ['-r', repo, 'backup', '--tag', tag, path.basename(image)], env, path.dirname(image)),
    restore: (tag, out) => {
      const dir = `${out}.d`;
      run('restic', ['-r', repo, 'restore', 'latest', '--tag', tag, '--target', dir], env);
      const f = fs.readdirSync(dir).find((x) => x.endsWith('.img'))!;
      fs.renameSync(path.join(dir, f), out);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const fmt = (n: number | null) => (n === null ? '-' : `${(n / 1048576).toFixed(1)} MiB`);

function printRows(): void {
  console.log(`${'tool'.padEnd(12)}${'image'.padEnd(7)}${'step'.padEnd(15)}${'wall s'.padStart(9)}${'cpu s'.padStart(8)}${'bytes added'.padStart(14)}  note`);
  for (const x of rows) console.log(`${x.tool.padEnd(12)}${x.image.padEnd(7)}${x.step.padEnd(15)}${x.seconds.toFixed(2).padStart(9)}${(x.cpu === undefined ? '-' : x.cpu.toFixed(2)).padStart(8)}${fmt(x.bytes).padStart(14)}  ${x.note ?? ''}`);
}

function cbtRows(cbt: DirtyBitmapBench): void {
  if (!('full' in cbt)) return;
  const note = (r: typeof cbt.full) => `wire ${r.wire}, job ${r.jobSeconds.toFixed(2)} s, tracker read ${(r.bytesRead / 1048576).toFixed(1)} MiB in ${r.trackerSeconds.toFixed(3)} s; cpu-s of hub, agent and its qemu-storage-daemon ${r.cpuParts.map((c) => c.toFixed(2)).join(' + ')}`;
  // a full reads in one pass with the transfer: its note gives that pass, not a tracker phase
  const fullNote = `wire ${cbt.full.wire}, job ${cbt.full.jobSeconds.toFixed(2)} s, read ${(cbt.full.bytesRead / 1048576).toFixed(1)} MiB in one pass with the transfer (${cbt.full.transferMs} ms); cpu-s of hub, agent and its qemu-storage-daemon ${cbt.full.cpuParts.map((c) => c.toFixed(2)).join(' + ')}`;
  rows.push({ tool: 'drc-cbt', image: 'cbt', step: 'full', seconds: cbt.full.seconds, cpu: cbt.full.cpu, bytes: cbt.full.bytesAdded, note: fullNote });
  cbt.incrementals.forEach((r, k) => rows.push({ tool: 'drc-cbt', image: 'cbt', step: cbt.incrementals.length > 1 ? `incr ${k + 1}` : 'incremental', seconds: r.seconds, cpu: r.cpu, bytes: r.bytesAdded, note: note(r) }));
}

/** The dirty-bitmap line of the summary: the tracker phase (min/median/max over the incrementals), bytes read / changed, the job. */
function cbtSummary(cbt: DirtyBitmapBench, scanNote: string): string {
  if (!('full' in cbt)) return `dirty bitmap: ${cbt.skipped}`;
  const t = spread(cbt.incrementals.map((r) => r.trackerSeconds));
  const j = spread(cbt.incrementals.map((r) => r.jobSeconds));
  const ratio = spread(cbt.incrementals.map((r) => r.bytesRead / cbt.changedBytes));
  const n = cbt.incrementals.length;
  const tracker = n > 1 ? `min ${t.min.toFixed(3)} / median ${t.median.toFixed(3)} / max ${t.max.toFixed(3)} s over ${n} incrementals` : `${t.max.toFixed(3)} s`;
  const job = n > 1 ? `median ${j.median.toFixed(2)} s (max ${j.max.toFixed(2)})` : `${j.max.toFixed(2)} s`;
  return [
    ...phaseLines(cbt.incrementals),
    `dirty bitmap, 5% incremental: changed blocks found and read in ${tracker} (target <= 0.25${scanNote}), ` +
      `bytes read / changed ${ratio.max.toFixed(3)} (target ~1.0), whole job ${job}`,
  ].join('\n');
}

/** BENCH_ONLY=cbt: a hub and the dirty-bitmap section alone. */
async function mainCbt(): Promise<void> {
  const root = tempDir('drc-bench-');
  const hub = await new HubProc(path.join(root, 'hub')).start();
  try {
    const packs = path.join(hub.dataDir, 'store', 'packs');
    const cbt = await benchDirtyBitmap(hub, root, MIB, BLOCK, () => du(packs), CBT_RUNS);
    cbtRows(cbt);
    console.log(`drc bench:backup (BENCH_ONLY=cbt) — ${MIB} MiB image served by qemu-storage-daemon, 5% of ${BLOCK / 1024} KiB blocks rewritten before each incremental, 2-core machine`);
    printRows();
    console.log('');
    console.log(cbtSummary(cbt, ''));
  } finally {
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

/** What one image's section measured: drc's steps and the changed data of its incremental. */
interface ImageBench {
  label: string;
  changedBytes: number;
  incAdded: number;
  incWire: number;
  /** bytes the full sent over the websocket */
  fullWire: number;
  scanRun: AgentJobLog;
}

/** Hub and agent logs of a job, as one line per side: where its time went. */
function phases(agentLog: AgentJobLog, hub: HubProc, jobId: number): string {
  const hubLine = hub.log
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as { job?: number; receive?: Record<string, number> };
      } catch {
        return null;
      }
    })
    .find((j) => j?.job === jobId && j.receive);
  const h = hubLine?.receive ? `; hub ${Object.entries(hubLine.receive).map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
  const steps = Object.entries(agentLog.scanPhases).map(([k, v]) => `${k} ${v}`).join(', ');
  return `agent scan ${agentLog.scanMs}${steps ? ` (${steps})` : ''}, transfer ${agentLog.transferMs}, commit ${agentLog.commitMs} ms${h}`;
}

/** The hub's log line of a restore job as its phases: worker ms summed over the workers, the rest wall ms. */
function restorePhases(hub: HubProc, jobId: number): string {
  let line: { job?: number; restore?: Record<string, number> } | null = null;
  try {
    for (const l of fs.readFileSync(path.join(hub.dataDir, 'hub.log'), 'utf8').split('\n')) {
      if (!l.includes('"restore"')) continue;
      const j = JSON.parse(l) as { job?: number; restore?: Record<string, number> };
      if (j.job === jobId && j.restore) line = j;
    }
  } catch {
    return 'no phases in the hub log';
  }
  const p = line?.restore;
  if (!p) return 'no phases in the hub log';
  const mib = (p.bytesRead! / 1048576).toFixed(0);
  return `hub job ${p.total} ms: plan ${p.plan}, lookups while reading ${p.lookup}; ${p.workers} workers (ms summed): read ${p.read} (${p.reads} reads, ${mib} MiB), decompress ${p.decompress}, verify ${p.verify}; hub writes${p.direct ? ' (O_DIRECT)' : ''} ${p.writes ?? '?'} in ${p.write} ms (summed over windows), waited for a free window ${p.windowWait ?? 0}; flush while writing ${p.flush}, final fsync ${p.fsync}`;
}

async function benchImage(label: string, image: string, root: string, hub: HubProc, mutate: () => number): Promise<ImageBench> {
  const host = `bench-${label}`;
  const token = await hub.addHost(host);
  const agentDir = path.join(root, `agent-${label}`);
  const agent = new AgentProc(hub.agentsUrl, host, token, { disk: image }, agentDir, ['--watch', '0'], AGENT_NODE_ARGS).start();
  const peers: Peer[] = [];
  try {
    await waitConnected(hub, host);
    const packs = path.join(hub.dataDir, 'store', 'packs');
    const backup = async (full: boolean) => {
      const before = du(packs);
      settle();
      const c0 = { hub: cpuOf(hub.proc.pid), agent: cpuOf(agent.proc.pid), hubSys: cpuSplit(hub.proc.pid).system, agentSys: cpuSplit(agent.proc.pid).system, agentMain: mainThreadCpu(agent.proc.pid) };
      const [job, s] = await timedAsync(() => hub.json<{ id: number; state: string; bytesWire: number; error: string | null }>(['backup', host, '--wait', ...(full ? ['--full'] : [])]));
      const hubCpu = cpuOf(hub.proc.pid) - c0.hub;
      const agentCpu = cpuOf(agent.proc.pid) - c0.agent;
      if (job.state !== 'succeeded') throw new Error(`drc backup failed: ${job.error}`);
      const log = await agentRun(agentDir, job.id);
      const sentGiB = (log.sent * BLOCK) / 2 ** 30;
      const sys = `system ${(cpuSplit(hub.proc.pid).system - c0.hubSys).toFixed(2)} + ${(cpuSplit(agent.proc.pid).system - c0.agentSys).toFixed(2)}`;
      const agentMain = `agent main thread ${(mainThreadCpu(agent.proc.pid) - c0.agentMain).toFixed(2)}, its block threads and V8's the rest`;
      const cpuNote = `hub ${hubCpu.toFixed(2)} + agent ${agentCpu.toFixed(2)} cpu-s (${sys}; ${agentMain})${sentGiB > 0.01 ? `, hub ${(hubCpu / sentGiB).toFixed(2)} cpu-s/GiB sent` : ''}`;
      return { s, cpu: hubCpu + agentCpu, wire: job.bytesWire, added: du(packs) - before, id: job.id, log, phases: `${cpuNote}; ${phases(log, hub, job.id)}` };
    };
    process.stderr.write(`bench: [${label}] drc full backup\n`);
    resetPeakRss(hub.proc.pid);
    resetPeakRss(agent.proc.pid);
    const full = await backup(true);
    rssNotes.push(`[${label}] peak RSS during the full: agent ${peakRssMb(agent.proc.pid)} MB (target <= 200), hub ${peakRssMb(hub.proc.pid)} MB (target <= 300)`);
    rows.push({ tool: 'drc', image: label, step: 'full', seconds: full.s, cpu: full.cpu, bytes: full.added, note: `wire ${full.wire}; ${full.phases}` });

    if (have('borg') && !process.env.BENCH_NO_PEERS) {
      peers.push(borgPeer(root, `borg-${label}`, 'borg', []));
      peers.push(borgPeer(root, `borg-fixed-${label}`, 'borg-fixed', ['--chunker-params', `fixed,${BLOCK}`]));
    }
    if (have('restic') && !process.env.BENCH_NO_PEERS) peers.push(resticPeer(root, label));
    for (const p of peers) {
      process.stderr.write(`bench: [${label}] ${p.name} full backup\n`);
      const before = du(p.repo);
      settle();
      const [s, cpu] = peerTimed(() => p.backup(image, 'full'));
      rows.push({ tool: p.name, image: label, step: 'full', seconds: s, cpu, bytes: du(p.repo) - before });
    }

    const changedBytes = mutate();
    const want = sha256File(image);
    process.stderr.write(`bench: [${label}] changed ${(changedBytes / 1048576).toFixed(1)} MiB; drc incremental\n`);
    const inc = await backup(false);
    rows.push({ tool: 'drc', image: label, step: 'incremental', seconds: inc.s, cpu: inc.cpu, bytes: inc.added, note: `wire ${inc.wire}, read ${(inc.log.bytesRead / 1048576).toFixed(1)} MiB; ${inc.phases}` });
    for (const p of peers) {
      process.stderr.write(`bench: [${label}] ${p.name} incremental\n`);
      const before = du(p.repo);
      settle();
      const [s, cpu] = peerTimed(() => p.backup(image, 'inc'));
      rows.push({ tool: p.name, image: label, step: 'incremental', seconds: s, cpu, bytes: du(p.repo) - before });
    }

    // restores take turns (drc durable, drc without fsync, each peer) RESTORE_RUNS times, so
    // every tool meets the same load; each row is the median run, its note min / median / max
    const out = path.join(root, `restore-drc-${label}.img`);
    const runs = new Map<string, { s: number; cpu?: number; bytes: number; note: string }[]>();
    const add = (key: string, r: { s: number; cpu?: number; bytes: number; note: string }) => runs.set(key, [...(runs.get(key) ?? []), r]);
    /** bytes of data the durable restore wrote (its file's allocated blocks: zero blocks stay holes) */
    let restoredData = 0;
    for (let k = 0; k < RESTORE_RUNS; k++) {
      for (const sync of [true, false]) {
        process.stderr.write(`bench: [${label}] drc restore${sync ? '' : ' --no-fsync'}${RESTORE_RUNS > 1 ? ` (${k + 1}/${RESTORE_RUNS})` : ''}\n`);
        settle();
        const c0 = cpuOf(hub.proc.pid);
        const [r, rs] = await timedAsync(() => hub.run(['restore', host, '--volume', 'disk', '--point', 'latest', '--to', out, '--json', ...(sync ? [] : ['--no-fsync'])]));
        const cpu = cpuOf(hub.proc.pid) - c0;
        if (r.code !== 0) throw new Error(`drc restore failed: ${r.stderr}`);
        if (sha256File(out) !== want) throw new Error('drc restore is not byte-identical');
        const how = restorePhases(hub, (JSON.parse(r.stdout) as { id: number }).id);
        add(`drc\t${sync ? 'restore' : 'restore-nosync'}`, { s: rs, cpu, bytes: fs.statSync(out).size, note: `${sync ? 'fsync before success' : 'like borg/restic: no fsync'}; ${how}` });
        if (sync) restoredData = fs.statSync(out).blocks * 512;
        fs.rmSync(out);
      }
      // the floor under any durable restore of this image here: the disk writing the same data alone
      process.stderr.write(`bench: [${label}] the disk's durable write of the restore's data\n`);
      settle();
      const ds = await durableWrite(path.join(root, `disk-floor-${label}.img`), restoredData);
      add('disk\tdurable-write', { s: ds, bytes: restoredData, note: `the durable restore's ${(restoredData / 1048576).toFixed(0)} MiB of data alone (its file's allocated blocks), random bytes, O_DIRECT 8 MiB writes, 4 in flight (the restore's windows), then fsync` });
      for (const p of peers) {
        process.stderr.write(`bench: [${label}] ${p.name} restore\n`);
        const o = path.join(root, `restore-${p.repo.split('/').pop()}.img`);
        settle();
        const [s, cpu] = peerTimed(() => p.restore('inc', o));
        if (sha256File(o) !== want) throw new Error(`${p.name} restore is not byte-identical`);
        add(`${p.name}\trestore`, { s, cpu, bytes: fs.statSync(o).size, note: '' });
        fs.rmSync(o);
      }
    }
    for (const p of peers) fs.rmSync(p.repo, { recursive: true, force: true });
    for (const [key, rs] of runs) {
      const [tool, step] = key.split('\t') as [string, string];
      const sorted = [...rs].sort((x, y) => x.s - y.s);
      const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
      const spreadNote = rs.length > 1 ? `min/median/max ${sorted[0]!.s.toFixed(2)}/${mid.s.toFixed(2)}/${sorted[sorted.length - 1]!.s.toFixed(2)} s; ` : '';
      rows.push({ tool, image: label, step, seconds: mid.s, cpu: mid.cpu, bytes: mid.bytes, note: `${spreadNote}${mid.note}` });
    }
    return { label, changedBytes, incAdded: inc.added, incWire: inc.wire, fullWire: full.wire, scanRun: inc.log };
  } finally {
    await agent.stop();
  }
}

/** What moving the full's wire bytes between two processes costs with nothing else done: the floor under the hub's cpu-s/GiB. */
/** the transport alone, per GiB on the wire: receiver (with the CRC-32) + sender cpu-s, once measured */
let transportPerGiB: number | null = null;

async function transportLine(wire: number): Promise<string> {
  settle();
  process.stderr.write('bench: the transport alone (bare websockets, two processes)\n');
  // the better of two runs each: what the transport needs, not what a stray load made it cost
  const best = async (crcToo: boolean) => {
    const runs = [];
    for (let k = 0; k < 2; k++) {
      settle();
      runs.push(await transportFloor(wire, crcToo));
    }
    return runs.reduce((a, b) => (b.receiver + b.sender < a.receiver + a.sender ? b : a));
  };
  const bare = await best(false);
  const crc = await best(true);
  const gib = wire / 2 ** 30;
  const per = (x: number) => (x / gib).toFixed(2);
  transportPerGiB = (crc.receiver + bare.sender) / gib;
  return `the transport alone, the mixed full's ${(wire / 1048576).toFixed(0)} MiB through bare websockets between two processes (one message per block frame, nothing stored): receiver ${per(bare.receiver)} cpu-s/GiB, with the hub's CRC-32 of each payload ${per(crc.receiver)}; sender ${per(bare.sender)} (the better of two runs each) — the hub's goal of 0.5 cpu-s/GiB is below what receiving the bytes costs on this machine`;
}

/**
 * What bounds the two goals a 2-core machine can miss, from the same run: the full's CPU seconds
 * spread over every core (no overlap of stages can finish sooner), and the disk's own durable write
 * of the restore's data (no durable restore can finish sooner).
 */
function floorLine(label: string, get: (tool: string, image: string, step: string) => Row | undefined, wire: number): string | null {
  const full = get('drc', label, 'full');
  const restore = get('drc', label, 'restore');
  const disk = get('disk', label, 'durable-write');
  const bf = { full: get('borg-fixed', label, 'full'), restore: get('borg-fixed', label, 'restore') };
  if (!full || !restore || !disk) return null;
  const cores = os.availableParallelism();
  const cpuFloor = (full.cpu ?? 0) / cores;
  const parts = [`full: agent + hub used ${(full.cpu ?? 0).toFixed(2)} cpu-s, >= ${cpuFloor.toFixed(2)} s on ${cores} cores however the stages overlap (drc ran ${full.seconds.toFixed(2)} s`];
  if (bf.full) {
    const budget = bf.full.seconds * 0.5 * cores;
    parts[0] += `; the floor is ${(cpuFloor / bf.full.seconds).toFixed(2)}x borg-fixed, whose ${bf.full.seconds.toFixed(2)} s took ${(bf.full.cpu ?? 0).toFixed(2)} cpu-s in one process with no transport; 0.5x needs <= ${budget.toFixed(2)} cpu-s`;
    if (transportPerGiB !== null) {
      const moving = (transportPerGiB * wire) / 2 ** 30;
      parts[0] += `, of which moving the ${(wire / 1048576).toFixed(0)} MiB between two processes alone takes ${moving.toFixed(2)} (sender + receiver with its CRC-32, measured above), leaving ${(budget - moving).toFixed(2)} to read, hash, compress and store what borg-fixed does in ${(bf.full.cpu ?? 0).toFixed(2)}`;
    }
  }
  parts[0] += ')';
  parts.push(`durable restore: this disk writes the same ${((disk.bytes ?? 0) / 1048576).toFixed(0)} MiB alone in ${disk.seconds.toFixed(2)} s, drc's restore ${(restore.seconds / disk.seconds).toFixed(2)}x that${bf.restore ? `; the disk alone is ${(disk.seconds / bf.restore.seconds).toFixed(2)}x borg-fixed's restore (${bf.restore.seconds.toFixed(2)} s, page cache, no fsync)` : ''}`);
  return `[${label}] floors on this machine — ${parts.join('; ')}`;
}

/** Hub CPU seconds per GiB ingested while `n` agents run full backups at once (images of `mib / n` MiB each). */
async function benchHubCpu(hub: HubProc, root: string, n: number): Promise<string> {
  const agents: { host: string; dir: string; image: string; agent: AgentProc }[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const host = `bench-many-${n}-${k}`;
      const image = path.join(root, `${host}.img`);
      mixedImage(image, Math.max(16, Math.floor(MIB / n)));
      const dir = path.join(root, `agent-${host}`);
      agents.push({ host, dir, image, agent: new AgentProc(hub.agentsUrl, host, await hub.addHost(host), { disk: image }, dir, ['--watch', '0']).start() });
    }
    for (const a of agents) await waitConnected(hub, a.host);
    settle();
    process.stderr.write(`bench: ${n} agents' full backups at once\n`);
    const c0 = cpuSplit(hub.proc.pid);
    const m0 = mainThreadCpu(hub.proc.pid);
    const [jobs, s] = await timedAsync(() => Promise.all(agents.map((a) => hub.json<{ id: number; state: string; error: string | null }>(['backup', a.host, '--wait', '--full']))));
    const c1 = cpuSplit(hub.proc.pid);
    const main = mainThreadCpu(hub.proc.pid) - m0;
    const cpu = c1.user - c0.user + c1.system - c0.system;
    let sent = 0;
    for (const [k, j] of jobs.entries()) {
      if (j.state !== 'succeeded') throw new Error(`drc backup ${agents[k]!.host} failed: ${j.error}`);
      sent += (await agentRun(agents[k]!.dir, j.id)).sent * BLOCK;
    }
    const gib = sent / 2 ** 30;
    return `hub with ${n} agent(s) doing fulls at once: ${(sent / 1048576).toFixed(0)} MiB of blocks in ${s.toFixed(2)} s, hub ${cpu.toFixed(2)} cpu-s (user ${(c1.user - c0.user).toFixed(2)}, system ${(c1.system - c0.system).toFixed(2)}) = ${(cpu / gib).toFixed(2)} cpu-s/GiB (target <= 0.5); main thread ${(main / gib).toFixed(2)}, other threads (GC, JIT, thread pool) ${((cpu - main) / gib).toFixed(2)} cpu-s/GiB`;
  } finally {
    await Promise.all(agents.map((a) => a.agent.stop()));
    for (const a of agents) fs.rmSync(a.image, { force: true });
  }
}

async function main(): Promise<void> {
  const root = tempDir('drc-bench-');
  const image = path.join(root, 'disk.img');
  process.stderr.write(`bench: generating a ${MIB} MiB image in ${root}\n`);
  const mix = mixedImage(image, MIB);
  const hub = await new HubProc(path.join(root, 'hub'), [], { nodeArgs: HUB_NODE_ARGS }).start();
  const sections: ImageBench[] = [];
  try {
    const packs = path.join(hub.dataDir, 'store', 'packs');
    sections.push(
      await benchImage('mixed', image, root, hub, () => rewriteBlocks(image, Math.round((MIB * 1024 * 1024) / BLOCK / 20)).length * BLOCK),
    );
    const storage = ONLY === 'nostorage' ? [] : await benchStorage(root, image, settle);
    rows.push(...storage.map(storageRow));
    fs.rmSync(image, { force: true });
    if (haveMkfs() && !process.env.BENCH_NO_FS) {
      const fsImage = path.join(root, 'fs.img');
      process.stderr.write(`bench: generating a ${MIB} MiB ext4 image\n`);
      const files = filesystemImage(fsImage, MIB, root);
      process.stderr.write(`bench: ext4 image holds ${files} files\n`);
      sections.push(await benchImage('ext4', fsImage, root, hub, () => addFiles(fsImage, Math.round((MIB * 1024 * 1024) / 20), root, 2)));
      fs.rmSync(fsImage, { force: true });
    }
    const hubCpu = process.env.BENCH_NO_MANY ? [] : [await benchHubCpu(hub, root, 1), await benchHubCpu(hub, root, 4)];
    if (!process.env.BENCH_NO_MANY) hubCpu.push(await transportLine(sections[0]!.fullWire));
    const cbt: DirtyBitmapBench = process.env.BENCH_NO_CBT ? { skipped: 'BENCH_NO_CBT set' } : await benchDirtyBitmap(hub, root, MIB, BLOCK, () => du(packs), CBT_RUNS);
    cbtRows(cbt);
    console.log(`drc bench:backup — ${MIB} MiB images (mixed: ${mix.random} random, ${mix.zero} zero, ${mix.text} unique-text 1 MiB chunks, 5% of ${BLOCK / 1024} KiB blocks rewritten; ext4: ~60% full of generated files, 5% new files), ${os.availableParallelism()}-core machine`);
    printRows();
    const get = (tool: string, image: string, step: string) => rows.find((x) => x.tool === tool && x.image === image && x.step === step);
    const ratio = (a?: Row, b?: Row) => (a && b ? (a.seconds / b.seconds).toFixed(2) : 'n/a');
    console.log('');
    const scanMixed = sections[0]!.scanRun;
    console.log(cbtSummary(cbt, `; scan tracker ${(scanMixed.scanMs / 1000).toFixed(3)} s, read / changed ${(scanMixed.bytesRead / sections[0]!.changedBytes).toFixed(1)}`));
    const cbtFull = get('drc-cbt', 'cbt', 'full');
    const scanFull = get('drc', 'mixed', 'full');
    if (cbtFull && scanFull) console.log(`full of a mixed image through qemu-dirty-bitmap / through scan: ${ratio(cbtFull, scanFull)} wall, ${((cbtFull.cpu ?? 0) / (scanFull.cpu ?? 1)).toFixed(2)} cpu-s (target <= 1)`);
    if (storage.length) for (const l of storageSummary(storage).slice(0, -1)) console.log(l);
    for (const l of hubCpu) console.log(l);
    for (const l of rssNotes) console.log(l);
    console.log(`hub peak RSS since the last image's full began (its restores and the hub-CPU runs included): ${peakRssMb(hub.proc.pid)} MB (target <= 300)`);
    const heads: string[] = [];
    for (const s of sections) {
      console.log(`[${s.label}] bytes added by the incremental / changed data: ${(s.incAdded / s.changedBytes).toFixed(3)} (target <= 1.1); on the wire ${(s.incWire / s.changedBytes).toFixed(3)}`);
      const repo = (t: string) => get(t, s.label, 'full')?.bytes;
      if (repo('borg')) console.log(`[${s.label}] repository after the full: drc ${fmt(repo('drc') ?? null)}, borg ${fmt(repo('borg') ?? null)}, borg-fixed ${fmt(repo('borg-fixed') ?? null)}, restic ${fmt(repo('restic') ?? null)}`);
      for (const peer of ['borg', 'restic']) {
        if (get(peer, s.label, 'full')) console.log(`[${s.label}] drc/${peer}: full ${ratio(get('drc', s.label, 'full'), get(peer, s.label, 'full'))}, incremental ${ratio(get('drc', s.label, 'incremental'), get(peer, s.label, 'incremental'))}, restore ${ratio(get('drc', s.label, 'restore'), get(peer, s.label, 'restore'))}`);
      }
      if (get('borg-fixed', s.label, 'full')) {
        const r = (step: string, peerStep = step) => ratio(get('drc', s.label, step), get('borg-fixed', s.label, peerStep));
        heads.push(`${s.label}: full ${r('full')}, incremental ${r('incremental')}, restore ${r('restore')} durable / ${r('restore-nosync', 'restore')} no fsync, added/changed ${(s.incAdded / s.changedBytes).toFixed(2)}`);
      } else {
        heads.push(`${s.label} (borg not installed): full ${get('drc', s.label, 'full')!.seconds.toFixed(2)} s, incremental ${get('drc', s.label, 'incremental')!.seconds.toFixed(2)} s, restore ${get('drc', s.label, 'restore')!.seconds.toFixed(2)} s`);
      }
    }
    for (const s of sections) {
      const l = floorLine(s.label, get, s.fullWire);
      if (l) console.log(l);
    }
    console.log(`headline drc/borg-fixed (targets <= 0.5; added/changed <= 1.1): ${heads.join('; ')}`);
  } finally {
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

/** A storage row in the table (the mixed image). */
function storageRow(r: StorageRow): Row {
  return { ...r, image: 'mixed' };
}

/** BENCH_ONLY=storage: the store backends, encryption and copies alone. */
async function mainStorage(): Promise<void> {
  const root = tempDir('drc-bench-');
  const image = path.join(root, 'disk.img');
  try {
    process.stderr.write(`bench: generating a ${MIB} MiB image in ${root}\n`);
    mixedImage(image, MIB);
    const storage = await benchStorage(root, image, settle);
    rows.push(...storage.map(storageRow));
    console.log(`drc bench:backup (BENCH_ONLY=storage) — ${MIB} MiB image, full backup and restore per store backend, 2-core machine`);
    printRows();
    console.log('');
    for (const l of storageSummary(storage)) console.log(l);
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

/** BENCH_ONLY=hub: the hub's CPU seconds per GiB ingested, with 1 and with 4 agents. */
async function mainHub(): Promise<void> {
  const root = tempDir('drc-bench-');
  const hub = await new HubProc(path.join(root, 'hub'), [], { nodeArgs: HUB_NODE_ARGS }).start();
  try {
    const lines = [await benchHubCpu(hub, root, 1), await benchHubCpu(hub, root, 4)];
    console.log(`drc bench:backup (BENCH_ONLY=hub) — ${MIB} MiB of mixed images, full backups, ${os.availableParallelism()}-core machine`);
    for (const l of lines) console.log(l);
  } finally {
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

/** BENCH_ONLY=fulls: the full through the scan tracker against the full through qemu-dirty-bitmap (BENCH_FULL_RUNS, default 3). */
async function mainFulls(): Promise<void> {
  const root = tempDir('drc-bench-');
  const hub = await new HubProc(path.join(root, 'hub'), [], { nodeArgs: HUB_NODE_ARGS }).start();
  try {
    const packs = path.join(hub.dataDir, 'store', 'packs');
    const lines = fullsLines(await benchFulls(hub, root, MIB, Number(process.env.BENCH_FULL_RUNS ?? 3), () => du(packs), AGENT_NODE_ARGS));
    console.log(`drc bench:backup (BENCH_ONLY=fulls) — ${MIB} MiB mixed images, full backups through the scan and the qemu-dirty-bitmap tracker taking turns, ${os.availableParallelism()}-core machine`);
    for (const l of lines) console.log(l);
  } finally {
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

(ONLY === 'fulls' ? mainFulls() : ONLY === 'cbt' ? mainCbt() : ONLY === 'storage' ? mainStorage() : ONLY === 'hub' ? mainHub() : main()).catch((e: unknown) => {
  process.stderr.write(`bench:backup failed: ${(e as Error).message}\n`);
  process.exit(1);
});

