// npm run bench:replication — continuous replication of a 2 GiB disk served by the agent's
// own qemu-storage-daemon (tracker qemu-dirty-bitmap) under a steady random-write workload
// through its NBD export (2 MiB/s of 64 KiB writes at random places). Samples the achieved
// RPO (age of the newest committed point, from its cycle's start) once a second over the run, reports its p50/p95/max
// against the target and the CPU the hub and the agent (with its daemon) used. Shorter
// runs: BENCH_REPLICATION_SECONDS (default 300); BENCH_REPLICATION_MIB, BENCH_WRITE_MIBPS,
// BENCH_TARGET_RPO and BENCH_MIN_INTERVAL change the disk, the workload and the cycle. Then an
// hour of the same workload on a moved clock (bench/replication-hour.ts): catalog rows and
// store bytes against an hourly schedule plus the changed data; BENCH_HOUR_CYCLE_SECONDS
// (default 30: 120 cycles; 5 is the production cycle, 720 of them) and BENCH_HOUR_MIB (default
// the disk's size). Then the failback of a host of the same size from the hub's directory
// target (bench/failback-return.ts) and, with qemu installed, from a running qemu instance
// (bench/failback-qemu.ts).
// BENCH_ONLY=continuous (the real-time run and the hour), hour, or failback runs one part.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { NbdClient } from '../src/protocol/nbd/client.js';
import { AgentProc, HubProc, tempDir, waitConnected, waitFor } from '../test/helpers/cluster.js';
import { spawnSync } from 'node:child_process';
import { failbackFromInstance } from './failback-qemu.js';
import { failbackReturn } from './failback-return.js';
import { simulatedHour } from './replication-hour.js';
import { daemonsUnder } from '../test/integration/qemu-support.js';

const SECONDS = Number(process.env.BENCH_REPLICATION_SECONDS ?? 300);
const DISK_MIB = Number(process.env.BENCH_REPLICATION_MIB ?? 2048);
const WRITE_MIBPS = Number(process.env.BENCH_WRITE_MIBPS ?? 2);
const TARGET_RPO = Number(process.env.BENCH_TARGET_RPO ?? 15);
const MIN_INTERVAL = Number(process.env.BENCH_MIN_INTERVAL ?? 5);
const BS = 65536;
const keep = process.env.BENCH_KEEP === '1';
const only = process.env.BENCH_ONLY ?? '';

/** user+system CPU seconds of a process and its children that it waited for, from /proc. */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return ticks / 100;
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const rows: [string, string][] = [];
  let headline = '';
  if (only === '' || only === 'continuous') {
    const c = await continuous();
    rows.push(...c.rows);
    headline = c.headline;
  }
  if (only === '' || only === 'continuous' || only === 'hour') {
    const cycle = Number(process.env.BENCH_HOUR_CYCLE_SECONDS ?? 30);
    const h = await simulatedHour({ diskMib: Number(process.env.BENCH_HOUR_MIB ?? DISK_MIB), writeMibps: WRITE_MIBPS, cycleSeconds: cycle, keep });
    rows.push(...h.rows);
    const hl = `1 h: rows ${h.rowsRatio.toFixed(2)}×, bytes ${h.bytesRatio.toFixed(2)}× hourly + changed data`;
    headline = headline ? `${headline}; ${hl}` : hl;
  }
  if (only === '' || only === 'failback') {
    const f = await failbackReturn(DISK_MIB, keep);
    rows.push(...f.rows);
    let hl = `failback sent ${f.ratio.toFixed(2)}× the union, cut-over ${f.downtimeSeconds ?? '?'} s`;
    if (spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0) {
      const q = await failbackFromInstance(DISK_MIB, keep);
      rows.push(...q.rows);
      hl += ` (from a qemu instance: ${q.ratio.toFixed(2)}×, ${q.downtimeSeconds ?? '?'} s)`;
    }
    headline = headline ? `${headline}; ${hl}` : hl;
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  process.stdout.write(`${headline}\n`);
}

async function continuous(): Promise<{ rows: [string, string][]; headline: string }> {
  const root = tempDir('drc-bench-replication-');
  const image = path.join(root, 'disk.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, DISK_MIB * 1048576);
  fs.writeFileSync(path.join(root, 'drc.yaml'), ['hosts:', `  - { name: bench, continuous: true, continuous_rpo: ${TARGET_RPO}s, min_interval: ${MIN_INTERVAL}s }`, ''].join('\n'));
  const hubData = path.join(root, 'hub');
  const agentData = path.join(root, 'agent');
  const hub = await new HubProc(hubData, ['--config', path.join(root, 'drc.yaml')]).start();
  const token = await hub.addHost('bench');
  const agent = new AgentProc(hub.agentsUrl, 'bench', token, { disk: image }, agentData, ['--watch', '0', '--tracker', 'qemu-dirty-bitmap']).start();
  let disk: NbdClient | null = null;
  try {
    await waitConnected(hub, 'bench');
    const db = new Database(path.join(hubData, 'catalog.db'), { readonly: true, fileMustExist: true });
    // a point holds the disk as of its cycle's freeze: counted from its job's start, never later
    const newest = (): number | null => {
      const r = db.prepare('SELECT MAX(COALESCE(j.started_at, p.time)) AS t FROM points p LEFT JOIN jobs j ON j.id = p.job_id').get() as { t: string | null };
      return r.t === null ? null : Date.parse(r.t);
    };
    process.stderr.write(`bench: ${DISK_MIB} MiB disk, waiting for the first (full) cycle\n`);
    await waitFor('the first point', () => newest() !== null, 300_000);
    const socket = path.join(agentData, 'qemu', 'disk.nbd');
    disk = await NbdClient.connect({ path: socket }, 'disk');
    const blocks = Math.floor(disk.size / BS);
    const firstPoint = (db.prepare('SELECT MAX(id) AS id FROM points').get() as { id: number }).id;
    // cycles counted by their jobs: thinning may already have removed some of their points
    const cyclesDone = (): number => (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'backup' AND state = 'succeeded'").get() as { n: number }).n;
    const cycles0 = cyclesDone();
    const storeBefore = (db.prepare('SELECT COALESCE(SUM(length), 0) AS b FROM chunks').get() as { b: number }).b;
    const chunksBefore = (db.prepare('SELECT COUNT(*) AS n FROM chunks').get() as { n: number }).n;
    const pids = [hub.proc.pid!, agent.proc.pid!, ...daemonsUnder(agentData)];
    const cpu0 = pids.map(cpuSeconds);
    process.stderr.write(`bench: ${WRITE_MIBPS} MiB/s of random 64 KiB writes for ${SECONDS} s (target RPO ${TARGET_RPO} s)\n`);
    const distinct = new Set<number>();
    let written = 0;
    const ages: number[] = [];
    const t0 = Date.now();
    const perTick = (WRITE_MIBPS * 1048576) / BS / 10;
    let owed = 0;
    let next = t0;
    let nextSample = t0 + 1000;
    while (Date.now() - t0 < SECONDS * 1000) {
      owed += perTick;
      const writes: Promise<void>[] = [];
      for (; owed >= 1; owed--) {
        const i = Math.floor(Math.random() * blocks);
        distinct.add(i);
        written += BS;
        writes.push(disk.write(i * BS, randomBytes(BS)));
      }
      await Promise.all(writes);
      await disk.flush();
      const now = Date.now();
      if (now >= nextSample) {
        const n = newest();
        if (n !== null) ages.push(Math.max(0, (now - n) / 1000));
        nextSample += 1000;
      }
      next += 100;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = pids.map((p, k) => {
      try {
        return cpuSeconds(p) - cpu0[k]!;
      } catch {
        return 0;
      }
    });
    const pts = db.prepare('SELECT id, time FROM points WHERE id > ? ORDER BY id').all(firstPoint) as { id: number; time: string }[];
    const storeBytes = (db.prepare('SELECT COALESCE(SUM(length), 0) AS b FROM chunks').get() as { b: number }).b - storeBefore;
    const chunkRows = (db.prepare('SELECT COUNT(*) AS n FROM chunks').get() as { n: number }).n - chunksBefore;
    db.close();
    const cycles = cyclesDone() - cycles0;
    const interval = cycles > 1 ? elapsed / cycles : MIN_INTERVAL;
    const rows: [string, string][] = [
      ['run', `${elapsed.toFixed(0)} s, ${mib(written)} written (${(written / 1048576 / elapsed).toFixed(2)} MiB/s), ${distinct.size} distinct blocks`],
      ['cycles', `${cycles}, one every ${interval.toFixed(1)} s`],
      ['achieved RPO p50 / p95 / max', `${pct(ages, 0.5).toFixed(1)} s / ${pct(ages, 0.95).toFixed(1)} s / ${Math.max(...ages).toFixed(1)} s (target ${TARGET_RPO} s, ${ages.length} samples)`],
      ['hub CPU', `${((cpu[0]! / elapsed) * 100).toFixed(1)} % of a core`],
      ['agent CPU (+ qemu-storage-daemon)', `${((cpu[1]! / elapsed) * 100).toFixed(1)} % (+ ${((cpu.slice(2).reduce((a, b) => a + b, 0) / elapsed) * 100).toFixed(1)} %) of a core`],
      ['store bytes (new chunks)', `${mib(storeBytes)} in ${chunkRows} chunk rows, ${pts.length} point rows kept (thinned per cycle)`],
    ];
    return { rows, headline: `achieved RPO p95 / target RPO: ${(pct(ages, 0.95) / TARGET_RPO).toFixed(2)}× (${pct(ages, 0.95).toFixed(1)} s of ${TARGET_RPO} s)` };
  } finally {
    await disk?.close().catch(() => undefined);
    await agent.stop();
    await hub.stop();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:replication failed: ${e.message}\n`);
  process.exit(1);
});
