// The simulated hour of `npm run bench:replication`: a continuous host (qemu-dirty-bitmap,
// its own qemu-storage-daemon) whose hub runs on a test clock moved one cycle at a time, so an
// hour of cycles passes in minutes. Each cycle writes the workload's share of random 64 KiB
// blocks through the NBD export, then the clock moves min_interval on and the hub makes the
// cycle's point, thinning the host's points after it as it does in production. At the end:
// the catalog rows (points + chunk index) and the store bytes (before and after a gc) against
// a plain hourly schedule of the same writes (one incremental of the distinct blocks) plus the
// data the last minutes' points hold (each cycle's own blocks: thinning keeps them all).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { NbdClient } from '../src/protocol/nbd/client.js';
import { CONTINUOUS_THINNING } from '../src/scheduler/thinning.js';
import { AgentProc, HubProc, tempDir, waitConnected, waitFor } from '../test/helpers/cluster.js';

const BS = 65536;
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export interface HourFigures {
  rows: [string, string][];
  rowsRatio: number;
  bytesRatio: number;
}

export async function simulatedHour(o: { diskMib: number; writeMibps: number; cycleSeconds: number; keep: boolean }): Promise<HourFigures> {
  const root = tempDir('drc-bench-hour-');
  const image = path.join(root, 'disk.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, o.diskMib * 1048576);
  const clockFile = path.join(root, 'clock');
  fs.writeFileSync(clockFile, '0');
  fs.writeFileSync(path.join(root, 'drc.yaml'), ['hosts:', `  - { name: hour, continuous: true, continuous_rpo: ${o.cycleSeconds * 3}s, min_interval: ${o.cycleSeconds}s }`, ''].join('\n'));
  const hubData = path.join(root, 'hub');
  const agentData = path.join(root, 'agent');
  process.env.DRC_TEST_CLOCK_FILE = clockFile;
  const hub = await new HubProc(hubData, ['--config', path.join(root, 'drc.yaml')]).start();
  delete process.env.DRC_TEST_CLOCK_FILE;
  const token = await hub.addHost('hour');
  const agent = new AgentProc(hub.agentsUrl, 'hour', token, { disk: image }, agentData, ['--watch', '0', '--tracker', 'qemu-dirty-bitmap']).start();
  let disk: NbdClient | null = null;
  let db: Database.Database | null = null;
  try {
    await waitConnected(hub, 'hour');
    db = new Database(path.join(hubData, 'catalog.db'), { readonly: true, fileMustExist: true });
    const d = db;
    const maxPoint = (): number => (d.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM points').get() as { id: number }).id;
    const pointRows = (): number => (d.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
    const chunks = (): { n: number; b: number } => d.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length), 0) AS b FROM chunks').get() as { n: number; b: number };
    process.stderr.write(`bench: simulated hour: ${o.diskMib} MiB disk, waiting for the first (full) cycle\n`);
    await waitFor('the first point', () => maxPoint() > 0, 300_000);
    disk = await NbdClient.connect({ path: path.join(agentData, 'qemu', 'disk.nbd') }, 'disk');
    const blocks = Math.floor(disk.size / BS);
    const base = { points: pointRows(), ...chunks() };
    const cycles = Math.round(3600 / o.cycleSeconds);
    const perCycle = Math.max(1, Math.round((o.writeMibps * 1048576 * o.cycleSeconds) / BS));
    const windowCycles = Math.floor(CONTINUOUS_THINNING.keepAllSeconds / o.cycleSeconds);
    process.stderr.write(`bench: simulated hour: ${cycles} cycles of ${o.cycleSeconds} s, ${perCycle} random 64 KiB writes each (${o.writeMibps} MiB/s)\n`);
    const distinct = new Set<number>();
    const perCycleDistinct: number[] = [];
    let offset = 0;
    const t0 = performance.now();
    for (let c = 0; c < cycles; c++) {
      const mine = new Set<number>();
      const writes: Promise<void>[] = [];
      for (let k = 0; k < perCycle; k++) {
        const i = Math.floor(Math.random() * blocks);
        mine.add(i);
        distinct.add(i);
        writes.push(disk.write(i * BS, randomBytes(BS)));
        if (writes.length >= 64) await Promise.all(writes.splice(0));
      }
      await Promise.all(writes);
      await disk.flush();
      perCycleDistinct.push(mine.size);
      const before = maxPoint();
      offset += o.cycleSeconds * 1000;
      fs.writeFileSync(clockFile, String(offset));
      await waitFor(`cycle ${c + 1}'s point`, () => maxPoint() > before, 300_000);
      if ((c + 1) % 20 === 0) process.stderr.write(`bench: simulated hour: ${c + 1}/${cycles} cycles, ${pointRows() - base.points} point rows kept, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    // the last cycle's thinning runs on the hub's next tick
    await new Promise((r) => setTimeout(r, 2500));
    const points = pointRows() - base.points;
    const pre = chunks();
    await hub.json(['gc']);
    const post = chunks();
    const contRows = points + (post.n - base.n);
    const contBytes = post.b - base.b;
    const avgChunk = pre.n > base.n ? (pre.b - base.b) / (pre.n - base.n) : BS;
    const windowBlocks = perCycleDistinct.slice(-windowCycles).reduce((a, b) => a + b, 0);
    const hourlyRows = 1 + distinct.size;
    const hourlyBytes = distinct.size * avgChunk;
    const allowanceRows = hourlyRows + windowCycles + windowBlocks;
    const allowanceBytes = hourlyBytes + windowBlocks * avgChunk;
    const rowsRatio = contRows / allowanceRows;
    const bytesRatio = contBytes / allowanceBytes;
    const written = cycles * perCycle * BS;
    return {
      rowsRatio,
      bytesRatio,
      rows: [
        ['hour: simulated', `${cycles} cycles of ${o.cycleSeconds} s on a ${o.diskMib} MiB disk, ${mib(written)} written, ${distinct.size} distinct blocks, ${((performance.now() - t0) / 1000).toFixed(0)} s real`],
        ['hour: points kept (thinned per cycle)', `${points} of ${cycles} (an hourly schedule: 1; the last ${CONTINUOUS_THINNING.keepAllSeconds / 60} min: ${windowCycles})`],
        ['hour: chunk rows before / after gc', `${pre.n - base.n} / ${post.n - base.n}`],
        ['hour: store bytes before / after gc', `${mib(pre.b - base.b)} / ${mib(contBytes)}`],
        ['hour: hourly schedule + last minutes\' data', `${hourlyRows} + ${windowCycles + windowBlocks} rows, ${mib(hourlyBytes)} + ${mib(windowBlocks * avgChunk)}`],
        ['hour: rows vs hourly + changed data', `${contRows} / ${allowanceRows} = ${rowsRatio.toFixed(2)}× (limit 1.2×)`],
        ['hour: store bytes vs hourly + changed data', `${mib(contBytes)} / ${mib(allowanceBytes)} = ${bytesRatio.toFixed(2)}× (limit 1.2×, after gc)`],
      ],
    };
  } finally {
    db?.close();
    await disk?.close().catch(() => undefined);
    await agent.stop();
    await hub.stop();
    if (!o.keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}
