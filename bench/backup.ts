// npm run bench:backup — a 2 GiB image (half random, half compressible): full backup,
// 5% of 64 KiB blocks rewritten, incremental, restore of the latest point. The same image
// states go through borg (default chunker and fixed,65536) and restic when installed; a
// second image served by qemu-storage-daemon shows the qemu-dirty-bitmap tracker (see backup-cbt.ts).
// Prints wall seconds and bytes per step, then drc/peer ratios; the last line is the headline.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { agentRun, benchDirtyBitmap, phaseLines, spread, type DirtyBitmapBench } from './backup-cbt.js';
import { benchStorage, storageSummary } from './backup-storage.js';
import { AgentProc, HubProc, makeImage, rewriteBlocks, sha256File, tempDir, waitConnected } from '../test/helpers/cluster.js';

const MIB = Number(process.env.BENCH_MIB ?? 2048);
const BLOCK = 65536;
const keep = process.env.BENCH_KEEP === '1';
/** `cbt`: only the dirty-bitmap section (no scan tracker, borg, restic or restores); `storage`: only the S3, encryption and copy rows; `nostorage`: all but those */
const ONLY = process.env.BENCH_ONLY ?? '';
/** incrementals in the dirty-bitmap section, each after its own 5% rewrite */
const CBT_RUNS = Number(process.env.BENCH_CBT_RUNS ?? (ONLY === 'cbt' ? 5 : 1));

interface Row {
  tool: string;
  step: string;
  seconds: number;
  bytes: number | null;
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

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): void {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString().slice(-400)}`);
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

function borgPeer(root: string, name: string, chunker: string[]): Peer {
  const repo = path.join(root, name);
  const env = { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: path.join(root, `${name}-base`) };
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

function resticPeer(root: string): Peer {
  const repo = path.join(root, 'restic');
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
  console.log(`${'tool'.padEnd(12)}${'step'.padEnd(13)}${'wall s'.padStart(9)}${'bytes added'.padStart(14)}  note`);
  for (const x of rows) console.log(`${x.tool.padEnd(12)}${x.step.padEnd(13)}${x.seconds.toFixed(2).padStart(9)}${fmt(x.bytes).padStart(14)}  ${x.note ?? ''}`);
}

function cbtRows(cbt: DirtyBitmapBench): void {
  if (!('full' in cbt)) return;
  const note = (r: typeof cbt.full) => `wire ${r.wire}, job ${r.jobSeconds.toFixed(2)} s, tracker read ${(r.bytesRead / 1048576).toFixed(1)} MiB in ${r.trackerSeconds.toFixed(3)} s`;
  rows.push({ tool: 'drc-cbt', step: 'full', seconds: cbt.full.seconds, bytes: cbt.full.bytesAdded, note: note(cbt.full) });
  cbt.incrementals.forEach((r, k) => rows.push({ tool: 'drc-cbt', step: cbt.incrementals.length > 1 ? `incr ${k + 1}` : 'incremental', seconds: r.seconds, bytes: r.bytesAdded, note: note(r) }));
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

async function main(): Promise<void> {
  const root = tempDir('drc-bench-');
  const image = path.join(root, 'disk.img');
  process.stderr.write(`bench: generating a ${MIB} MiB image in ${root}\n`);
  makeImage(image, MIB);
  const hub = await new HubProc(path.join(root, 'hub')).start();
  const token = await hub.addHost('bench');
  const agent = new AgentProc(hub.agentsUrl, 'bench', token, { disk: image }, path.join(root, 'agent'), ['--watch', '0']).start();
  const peers: Peer[] = [];
  try {
    await waitConnected(hub, 'bench');
    const packs = path.join(hub.dataDir, 'store', 'packs');
    const backup = async (full: boolean) => {
      const before = du(packs);
      settle();
      const [job, s] = await timedAsync(() => hub.json<{ id: number; state: string; bytesWire: number; error: string | null }>(['backup', 'bench', '--wait', ...(full ? ['--full'] : [])]));
      if (job.state !== 'succeeded') throw new Error(`drc backup failed: ${job.error}`);
      return { s, wire: job.bytesWire, added: du(packs) - before, id: job.id };
    };
    process.stderr.write('bench: drc full backup\n');
    const full = await backup(true);
    rows.push({ tool: 'drc', step: 'full', seconds: full.s, bytes: full.added, note: `wire ${full.wire}` });

    if (have('borg')) {
      peers.push(borgPeer(root, 'borg', []));
      peers.push(borgPeer(root, 'borg-fixed', ['--chunker-params', `fixed,${BLOCK}`]));
    }
    if (have('restic')) peers.push(resticPeer(root));
    for (const p of peers) {
      process.stderr.write(`bench: ${p.name} full backup\n`);
      const before = du(p.repo);
      settle();
      const [, s] = timed(() => p.backup(image, 'full'));
      rows.push({ tool: p.name, step: 'full', seconds: s, bytes: du(p.repo) - before });
    }

    const changed = rewriteBlocks(image, Math.round((MIB * 1024 * 1024) / BLOCK / 20));
    const changedBytes = changed.length * BLOCK;
    const want = sha256File(image);
    process.stderr.write(`bench: rewrote ${changed.length} blocks (${(changedBytes / 1048576).toFixed(1)} MiB); drc incremental\n`);
    const inc = await backup(false);
    const scanRun = await agentRun(path.join(root, 'agent'), inc.id);
    rows.push({ tool: 'drc', step: 'incremental', seconds: inc.s, bytes: inc.added, note: `wire ${inc.wire}, scan tracker read ${(scanRun.bytesRead / 1048576).toFixed(1)} MiB in ${(scanRun.scanMs / 1000).toFixed(2)} s` });
    for (const p of peers) {
      process.stderr.write(`bench: ${p.name} incremental\n`);
      const before = du(p.repo);
      settle();
      const [, s] = timed(() => p.backup(image, 'inc'));
      rows.push({ tool: p.name, step: 'incremental', seconds: s, bytes: du(p.repo) - before });
    }

    const out = path.join(root, 'restore-drc.img');
    process.stderr.write('bench: drc restore\n');
    settle();
    const [r, rs] = await timedAsync(() => hub.run(['restore', 'bench', '--volume', 'disk', '--point', 'latest', '--to', out]));
    if (r.code !== 0) throw new Error(`drc restore failed: ${r.stderr}`);
    if (sha256File(out) !== want) throw new Error('drc restore is not byte-identical');
    rows.push({ tool: 'drc', step: 'restore', seconds: rs, bytes: fs.statSync(out).size, note: 'fsync before success' });
    fs.rmSync(out);
    // the peers do not flush what they extract; this row is the like-for-like comparison
    settle();
    const [r2, rs2] = await timedAsync(() => hub.run(['restore', 'bench', '--volume', 'disk', '--point', 'latest', '--to', out, '--no-fsync']));
    if (r2.code !== 0) throw new Error(`drc restore --no-fsync failed: ${r2.stderr}`);
    if (sha256File(out) !== want) throw new Error('drc restore --no-fsync is not byte-identical');
    rows.push({ tool: 'drc', step: 'restore-nosync', seconds: rs2, bytes: fs.statSync(out).size, note: 'like borg/restic: no fsync' });
    fs.rmSync(out);
    for (const p of peers) {
      process.stderr.write(`bench: ${p.name} restore\n`);
      const o = path.join(root, `restore-${p.name}.img`);
      settle();
      const [, s] = timed(() => p.restore('inc', o));
      if (sha256File(o) !== want) throw new Error(`${p.name} restore is not byte-identical`);
      rows.push({ tool: p.name, step: 'restore', seconds: s, bytes: fs.statSync(o).size });
      fs.rmSync(o);
    }
    const cbt: DirtyBitmapBench = await benchDirtyBitmap(hub, root, MIB, BLOCK, () => du(packs), CBT_RUNS);
    cbtRows(cbt);
    const storage = ONLY === 'nostorage' ? [] : await benchStorage(root, image, settle);
    rows.push(...storage);
    console.log(`drc bench:backup — ${MIB} MiB image, ${changed.length} blocks (${fmt(changedBytes)}) rewritten, 2-core machine`);
    printRows();
    const get = (tool: string, step: string) => rows.find((x) => x.tool === tool && x.step === step);
    const ratio = (a?: Row, b?: Row) => (a && b ? (a.seconds / b.seconds).toFixed(2) : 'n/a');
    const bf = get('borg-fixed', 'incremental') ? 'borg-fixed' : null;
    console.log('');
    console.log(`bytes added by the incremental / changed data: ${(inc.added / changedBytes).toFixed(3)} (target <= 1.1)`);
    console.log(`bytes on the wire for the incremental / changed data: ${(inc.wire / changedBytes).toFixed(3)}`);
    if (storage.length) for (const l of storageSummary(storage).slice(0, -1)) console.log(l);
    console.log(cbtSummary(cbt, `; scan tracker ${(scanRun.scanMs / 1000).toFixed(3)} s, read / changed ${(scanRun.bytesRead / changedBytes).toFixed(1)}`));
    if (bf) {
      for (const peer of ['borg', 'restic']) {
        if (get(peer, 'incremental')) console.log(`drc/${peer}: incremental ${ratio(get('drc', 'incremental'), get(peer, 'incremental'))}, restore ${ratio(get('drc', 'restore'), get(peer, 'restore'))}`);
      }
      console.log(
        `headline drc/borg-fixed: incremental ${ratio(get('drc', 'incremental'), get(bf, 'incremental'))} (target <= 0.5), restore ${ratio(get('drc', 'restore'), get(bf, 'restore'))} durable / ${ratio(get('drc', 'restore-nosync'), get(bf, 'restore'))} without fsync (target <= 0.5), bytes added/changed ${(inc.added / changedBytes).toFixed(3)} (target <= 1.1)`,
      );
    } else {
      console.log(`headline (borg not installed): incremental ${get('drc', 'incremental')!.seconds.toFixed(2)} s, restore ${rs.toFixed(2)} s, bytes added/changed ${(inc.added / changedBytes).toFixed(3)}`);
    }
  } finally {
    await agent.stop();
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

/** BENCH_ONLY=storage: the store backends, encryption and copies alone. */
async function mainStorage(): Promise<void> {
  const root = tempDir('drc-bench-');
  const image = path.join(root, 'disk.img');
  try {
    process.stderr.write(`bench: generating a ${MIB} MiB image in ${root}\n`);
    makeImage(image, MIB);
    rows.push(...(await benchStorage(root, image, settle)));
    console.log(`drc bench:backup (BENCH_ONLY=storage) — ${MIB} MiB image, full backup and restore per store backend, 2-core machine`);
    printRows();
    console.log('');
    for (const l of storageSummary(rows)) console.log(l);
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

(ONLY === 'cbt' ? mainCbt() : ONLY === 'storage' ? mainStorage() : main()).catch((e: unknown) => {
  process.stderr.write(`bench:backup failed: ${(e as Error).message}\n`);
  process.exit(1);
});

