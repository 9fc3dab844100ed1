// The storage rows of bench:backup: the same image backed up and restored by a hub whose
// store is the local directory, the local directory encrypted, s3rver on loopback, and
// s3rver encrypted (restores from S3 start with an empty pack cache); then a copy of the
// local hub's points to a directory copy target. Each hub is a fresh process and data dir.
import fs from 'node:fs';
import os from 'node:os';
import { cpuOf } from './proc-cpu.js';
import path from 'node:path';
import { AgentProc, HubProc, sha256File, waitConnected } from '../test/helpers/cluster.js';
import { S3rverProc } from '../test/helpers/s3-servers.js';

export interface StorageRow {
  tool: string;
  step: string;
  seconds: number;
  bytes: number | null;
  /** CPU seconds (user + system) of hub, agent and s3rver during the step */
  cpu?: number;
  /** the same per process (and the hub's main thread) */
  parts?: Record<string, number>;
  note?: string;
}

/** Run a step and measure the CPU seconds each of the named processes (and the hub's main thread) spent in it. */
async function cpuTimed<T>(pids: Record<string, number | undefined>, fn: () => Promise<T>): Promise<[T, number, Record<string, number>]> {
  const cpu = (): Record<string, number> => ({ ...Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuOf(p)])), 'hub main thread': cpuOf(pids.hub, pids.hub) });
  const c0 = cpu();
  const [r, s] = await timed(fn);
  const c1 = cpu();
  const used = Object.fromEntries(Object.entries(c1).map(([k, v]) => [k, v - c0[k]!]));
  return [r, s, used];
}

const cpuNote = (used: Record<string, number>): string => `cpu-s ${Object.entries(used).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`;
/** the processes' CPU seconds (the hub's main thread is in the hub's) */
const cpuSum = (used: Record<string, number>): number => Object.entries(used).reduce((a, [k, v]) => (k === 'hub main thread' ? a : a + v), 0);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

interface Variant {
  tool: string;
  s3: boolean;
  encrypted: boolean;
}

const VARIANTS: Variant[] = [
  { tool: 'drc-local', s3: false, encrypted: false },
  { tool: 'drc-enc', s3: false, encrypted: true },
  { tool: 'drc-s3', s3: true, encrypted: false },
  { tool: 'drc-s3-enc', s3: true, encrypted: true },
];

function configFor(root: string, v: Variant, s3: S3rverProc | null, copyDir: string): string {
  const lines: string[] = [];
  const pass = path.join(root, 'pass');
  fs.writeFileSync(pass, 'bench passphrase\n');
  const creds = path.join(root, 'creds');
  fs.writeFileSync(creds, 'aws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
  lines.push('store:');
  if (v.s3 && s3) lines.push('  type: s3', `  endpoint: ${s3.endpoint}`, '  bucket: drc', `  prefix: ${v.tool}`, '  path_style: true', `  credentials_file: ${creds}`);
  else lines.push('  type: local');
  if (v.encrypted) lines.push('  encryption:', `    passphrase_file: ${pass}`);
  lines.push('copies:', '  - name: disk2', '    type: directory', `    path: ${copyDir}`);
  const file = path.join(root, `${v.tool}.yaml`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** BENCH_STORAGE=drc-local,drc-s3 runs only those variants; BENCH_HUB_NODE_ARGS passes node flags (e.g. --cpu-prof) to the hubs */
const ONLY_VARIANTS = (process.env.BENCH_STORAGE ?? '').split(',').filter(Boolean);
/** BENCH_STORAGE_RESTORES: restores per variant, the row is their median (default 3) */
const RESTORES = Math.max(1, Number(process.env.BENCH_STORAGE_RESTORES ?? 3));
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** BENCH_S3RVER_NODE_ARGS passes node flags to s3rver (e.g. --cpu-prof --cpu-prof-dir=DIR: its profile is written when the bench ends) */
const S3RVER_NODE_ARGS = (process.env.BENCH_S3RVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export async function benchStorage(root: string, image: string, settle: () => void): Promise<StorageRow[]> {
  const rows: StorageRow[] = [];
  const want = sha256File(image);
  const s3 = await new S3rverProc(path.join(root, 's3rver'), 'drc', S3RVER_NODE_ARGS).start();
  try {
    for (const v of VARIANTS.filter((x) => ONLY_VARIANTS.length === 0 || ONLY_VARIANTS.includes(x.tool))) {
      const dir = path.join(root, v.tool);
      fs.mkdirSync(dir, { recursive: true });
      const copyDir = path.join(dir, 'copy');
      const config = configFor(dir, v, s3, copyDir);
      const hub = await new HubProc(path.join(dir, 'hub'), ['--config', config], { http: 'off', nodeArgs: HUB_NODE_ARGS }).start();
      const token = await hub.addHost('bench');
      const agent = new AgentProc(hub.agentsUrl, 'bench', token, { disk: image }, path.join(dir, 'agent'), ['--watch', '0']).start();
      try {
        await waitConnected(hub, 'bench');
        process.stderr.write(`bench: ${v.tool} full backup\n`);
        settle();
        const pids = { hub: hub.proc.pid, agent: agent.proc.pid, ...(v.s3 ? { s3rver: s3.proc?.pid } : {}) };
        const [job, s, used] = await cpuTimed(pids, () => hub.json<{ state: string; bytesNew: number; error: string | null }>(['backup', 'bench', '--wait', '--full']));
        if (job.state !== 'succeeded') throw new Error(`${v.tool} backup failed: ${job.error}`);
        rows.push({ tool: v.tool, step: 'full', seconds: s, bytes: job.bytesNew, cpu: cpuSum(used), parts: used, note: cpuNote(used) });
        // restores: the median of RESTORES (a durable restore's final fsync alone varies 0.2–0.9 s
        // on this disk), each from a cold pack cache on S3
        const restores: { s: number; used: Record<string, number> }[] = [];
        const out = path.join(dir, 'restore.img');
        for (let k = 0; k < RESTORES; k++) {
          if (v.s3) {
            // a cold cache: a new hub process without the packs the backup left in the cache
            await hub.stop();
            fs.rmSync(path.join(dir, 'hub', 'store', 'cache'), { recursive: true, force: true });
            await hub.start();
          }
          process.stderr.write(`bench: ${v.tool} restore ${k + 1}/${RESTORES}\n`);
          settle();
          const rpids = { hub: hub.proc.pid, ...(v.s3 ? { s3rver: s3.proc?.pid } : {}) };
          const [r, rs, rused] = await cpuTimed(rpids, () => hub.run(['restore', 'bench', '--volume', 'disk', '--point', 'latest', '--to', out]));
          if (r.code !== 0) throw new Error(`${v.tool} restore failed: ${r.stderr}`);
          if (sha256File(out) !== want) throw new Error(`${v.tool} restore is not byte-identical`);
          fs.rmSync(out);
          restores.push({ s: rs, used: rused });
        }
        const sorted = [...restores].sort((a, b) => a.s - b.s);
        const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
        const spread = sorted.length > 1 ? `median of ${sorted.length} (${sorted.map((x) => x.s.toFixed(2)).join(', ')} s); ` : '';
        rows.push({ tool: v.tool, step: 'restore', seconds: mid.s, bytes: fs.statSync(image).size, cpu: cpuSum(mid.used), parts: mid.used, note: `${spread}${v.s3 ? 'cold pack cache; ' : ''}${cpuNote(mid.used)}` });
        if (v.tool === 'drc-local') {
          process.stderr.write('bench: copy to a directory target\n');
          settle();
          const [c, cs] = await timed(() => hub.json<{ state: string; bytes: number; error: string | null }>(['copies', 'run', 'disk2', '--wait', '--config', config]));
          if (c.state !== 'succeeded') throw new Error(`copy failed: ${c.error}`);
          rows.push({ tool: 'drc-copy', step: 'copy', seconds: cs, bytes: c.bytes, note: `${(c.bytes / 1e6 / cs).toFixed(0)} MB/s, every pack read back` });
        }
      } finally {
        await agent.stop();
        await hub.stop();
        fs.rmSync(path.join(dir, 'hub', 'store'), { recursive: true, force: true });
        fs.rmSync(copyDir, { recursive: true, force: true });
      }
    }
  } finally {
    await s3.kill();
  }
  return rows;
}

/** The ratio lines of the storage rows; the last is the storage headline. */
export function storageSummary(rows: readonly StorageRow[]): string[] {
  const get = (tool: string, step: string) => rows.find((r) => r.tool === tool && r.step === step);
  const ratio = (a: string, b: string, step: string) => {
    const x = get(a, step);
    const y = get(b, step);
    return x && y ? (x.seconds / y.seconds).toFixed(2) : 'n/a';
  };
  const copy = get('drc-copy', 'copy');
  // what bounds the S3 rows when s3rver shares the cores: the CPU of every process over the cores
  const cores = os.availableParallelism();
  const floor = (step: string): string | null => {
    const s3 = get('drc-s3', step);
    const local = get('drc-local', step);
    if (!s3?.parts || !local || s3.cpu === undefined) return null;
    const server = s3.parts.s3rver ?? 0;
    const who = Object.keys(s3.parts).filter((k) => k !== 'hub main thread' && s3.parts![k]! > 0).join(' + ');
    return `${step}: ${who} used ${s3.cpu.toFixed(1)} cpu-s, >= ${(s3.cpu / cores).toFixed(2)} s on ${cores} cores however they overlap = ${(s3.cpu / cores / local.seconds).toFixed(2)}x the local ${step} (${local.seconds.toFixed(2)} s); s3rver's own share ${server.toFixed(1)} cpu-s — with the endpoint on another machine, as in any real deployment: >= ${((s3.cpu - server) / cores / local.seconds).toFixed(2)}x`;
  };
  const floors = ['full', 'restore'].map(floor).filter((l): l is string => l !== null);
  return [
    ...(floors.length ? [`S3 floors on this machine — ${floors.join('; ')}`] : []),
    `S3 (s3rver, loopback) / local: full ${ratio('drc-s3', 'drc-local', 'full')} (target <= 1.5), restore with a cold cache ${ratio('drc-s3', 'drc-local', 'restore')} (target <= 2)`,
    `encrypted / plain: full ${ratio('drc-enc', 'drc-local', 'full')}, restore ${ratio('drc-enc', 'drc-local', 'restore')} (target <= 1.15); on S3: full ${ratio('drc-s3-enc', 'drc-s3', 'full')}, restore ${ratio('drc-s3-enc', 'drc-s3', 'restore')}`,
    `storage headline: S3/local full ${ratio('drc-s3', 'drc-local', 'full')}, restore ${ratio('drc-s3', 'drc-local', 'restore')}; encrypted/plain full ${ratio('drc-enc', 'drc-local', 'full')}, restore ${ratio('drc-enc', 'drc-local', 'restore')}; copy to a directory ${copy ? `${(copy.bytes! / 1e6 / copy.seconds).toFixed(0)} MB/s` : 'n/a'} (target >= 300)`,
  ];
}
