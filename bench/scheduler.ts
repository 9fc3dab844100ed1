// npm run bench:scheduler — next-run computation for 10 000 schedules across six zones, and
// one scheduler tick with 10 000 queued jobs (aging, windows, global and per-host limits),
// once on plain rows and once as the hub does it (rows read from a SQLite catalog).
// Prints milliseconds per step (median of several runs); the last line is the headline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src/catalog/catalog.js';
import { QueueStore } from '../src/catalog/queue-store.js';
import { queueJobs } from '../src/hub/job-queue.js';
import { nextRun, parseCron } from '../src/scheduler/cron.js';
import { SchedulePlanner } from '../src/scheduler/planner.js';
import { planStarts, type QueueJob } from '../src/scheduler/queue.js';

const N = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const HOSTS = 500;
const RUNS = 9;
const TARGET_MS = 50;
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'America/Los_Angeles'];
const NOW = Date.parse('2025-03-08T12:00:00Z'); // the New York spring-forward is inside the horizon

function cronOf(i: number): string {
  switch (i % 4) {
    case 0: return `${(i >> 2) % 60} ${Math.floor(i / 240) % 24} * * *`;
    case 1: return `*/15 * * * *`;
    case 2: return `0 ${i % 24} * * 1-5`;
    default: return `30 2 ${1 + (i % 28)} * *`;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Median wall and CPU milliseconds of RUNS runs (CPU time is what a busy machine cannot inflate). */
function time(fn: () => void, runs = RUNS): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const schedules = Array.from({ length: N }, (_, i) => ({ name: `s${i}`, cron: cronOf(i), timezone: ZONES[i % ZONES.length]! }));

// the first pass parses every distinct text with cron-parser; later passes hit the cache
const parseMs = time(() => {
  for (const s of schedules) parseCron(s.cron, s.timezone);
}, 1);
const reparseMs = time(() => {
  for (const s of schedules) parseCron(s.cron, s.timezone);
});
const specs = schedules.map((s) => parseCron(s.cron, s.timezone));
const nextMs = time(() => {
  for (const s of specs) nextRun(s, NOW);
});
const plannerMs = time(() => {
  new SchedulePlanner(schedules, () => undefined, NOW);
});
const planner = new SchedulePlanner(schedules, () => undefined, NOW);
const dueMs = time(() => {
  planner.due(NOW + 1000);
});

const night = { text: '22:00-06:00', startMinute: 22 * 60, endMinute: 6 * 60, zone: 'Europe/Berlin' };
const jobs: QueueJob[] = Array.from({ length: JOBS }, (_, i) => ({
  id: i + 1,
  host: `host-${i % HOSTS}`,
  priority: i % 11,
  enqueuedAt: NOW - (i % 3600) * 1000,
  window: i % 3 === 0 ? night : null,
}));
const running = Array.from({ length: 8 }, (_, i) => ({ host: `host-${i}` }));
const limits = { global: 16, perHost: 1, agingSeconds: 60 };
const tickMs = time(() => {
  planStarts(jobs, running, limits, NOW);
});

// the hub's tick: the queued rows come from the catalog
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-bench-sched-'));
const catalog = new Catalog(path.join(dir, 'catalog.db'));
const hostIds = Array.from({ length: HOSTS }, (_, i) => catalog.addHost(`host-${i}`, [], null, 'x'.repeat(64), new Date(NOW).toISOString()).id);
catalog.tx(() => {
  for (const j of jobs) {
    catalog.insertJob({
      kind: 'backup',
      hostId: hostIds[(j.id - 1) % HOSTS]!,
      volumes: [],
      type: 'incremental',
      priority: j.priority,
      origin: 'schedule:bench',
      params: { schedule: 'bench', window: j.window, stopAtWindowEnd: false },
      createdAt: new Date(j.enqueuedAt).toISOString(),
    });
  }
});
const queue = new QueueStore(catalog.db);
const hubTickMs = time(() => {
  const names = new Map(catalog.hosts().map((h) => [h.id, h.name]));
  planStarts(queueJobs(queue.queued(), (id) => names.get(id)!), running, limits, NOW);
});
catalog.close();
fs.rmSync(dir, { recursive: true, force: true });

const distinct = new Set(schedules.map((x) => x.cron)).size;
const rows: [string, Timing][] = [
  [`parse ${N} cron expressions (${distinct} distinct; first pass, one run)`, parseMs],
  [`parse ${N} cron expressions again (cached by text)`, reparseMs],
  [`next run of ${N} schedules (6 zones, DST inside the horizon)`, nextMs],
  [`planner start: parse + next run, ${N} schedules`, plannerMs],
  [`planner tick over ${N} schedules`, dueMs],
  [`queue tick, ${JOBS} queued jobs (rows in memory)`, tickMs],
  [`queue tick, ${JOBS} queued jobs (rows from the catalog)`, hubTickMs],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`${'step'.padEnd(w)}  ${'wall ms'.padStart(8)}  ${'cpu ms'.padStart(8)}   (median of ${RUNS})`);
for (const [name, t] of rows) console.log(`${name.padEnd(w)}  ${t.wall.toFixed(1).padStart(8)}  ${t.cpu.toFixed(1).padStart(8)}`);
// CPU time is the headline: on a shared machine wall time mostly measures the neighbours
const cpu = hubTickMs.cpu + dueMs.cpu;
const wall = hubTickMs.wall + dueMs.wall;
const load = os.loadavg()[0]!.toFixed(1);
console.log(
  `scheduler tick with ${JOBS} queued jobs (catalog read + plan): ${cpu.toFixed(1)} ms CPU (${wall.toFixed(1)} ms wall at load ${load} on ${os.availableParallelism()} CPUs); ` +
    `target <= ${TARGET_MS} ms: ${cpu <= TARGET_MS ? 'met' : 'MISSED'}, ${(TARGET_MS / cpu).toFixed(1)}x headroom`,
);
