// A week and a half of simulated time through a real hub and agent: a nightly schedule takes
// the backups (the hub's clock moved by DRC_TEST_CLOCK_FILE), retention daily 3 / weekly 2
// leaves exactly the expected points, each restores byte-identical, gc frees the space of
// the deleted ones, verify is clean, a gc killed midway leaves the store consistent, and
// after days of downtime the schedule runs once.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GcReportView, PruneReport, ScheduleView, VerifyResultView } from '../../src/protocol/operator.js';
import { HubProc, makeImage, type AgentProc } from '../helpers/cluster.js';
import { Cluster, backupOk, packBytesOnDisk, points, restoredSha, sha256File, storeConsistency, waitFor, type JobView, type PointView, setHubClock } from './support.js';

const BLOCK = 65536;
const CHURN = 16; // blocks 0..15 are rewritten before every backup
const FRESH = 4; // and four blocks no later backup touches
const DAY = 86_400_000;
/** Wednesday 4 June 2025 */
const DAY0 = Date.parse('2025-06-04T00:00:00Z');

const c = new Cluster();
const clockFile = c.file('clock');
let hub: HubProc;
let image: string;
/** the image's sha256 when each point was taken, by point id */
const shaAt = new Map<number, string>();

const setClock = (ms: number): void => setHubClock(clockFile, ms);

async function hostSeenAfter(ms: number): Promise<void> {
  await waitFor('h1 connected at the new time', async () => {
    const hosts = await hub.json<{ name: string; link: string; lastSeen: string | null }[]>(['hosts']);
    const h = hosts.find((x) => x.name === 'h1');
    return h?.link === 'connected' && h.lastSeen !== null && Date.parse(h.lastSeen) >= ms;
  });
}

/**
 * Move the hub's clock to `ms`. A jump of days makes the hub drop the agent's link (no
 * heartbeat "for a day"), so jump to just before, let the agent rejoin, then step a little.
 */
async function travelTo(ms: number): Promise<void> {
  setClock(ms - 4000);
  await new Promise((r) => setTimeout(r, 1500));
  await hostSeenAfter(ms - 4000);
  setClock(ms);
  await new Promise((r) => setTimeout(r, 100));
}

/** Rewrite the churned blocks and this day's fresh ones with random bytes. */
function mutate(day: number): void {
  const fd = fs.openSync(image, 'r+');
  const blocks = [...Array.from({ length: CHURN }, (_, i) => i), ...Array.from({ length: FRESH }, (_, i) => 32 + FRESH * day + i)];
  for (const b of blocks) fs.writeSync(fd, randomBytes(BLOCK), 0, BLOCK, b * BLOCK);
  fs.closeSync(fd);
}

/** Let the nightly schedule of `day` fire (02:00 UTC) and wait for its point. */
async function nightly(day: number): Promise<PointView> {
  if (day > 0) mutate(day);
  const before = (await points(hub, 'h1')).length;
  await travelTo(DAY0 + day * DAY + 2 * 3_600_000 - 2000);
  setClock(DAY0 + day * DAY + 2 * 3_600_000 + 1000);
  const all = await waitFor(`the nightly point of day ${day}`, async () => {
    const ps = await points(hub, 'h1');
    return ps.length > before && ps;
  }, 30_000);
  const p = all[all.length - 1]!;
  shaAt.set(p.id, sha256File(image));
  return p;
}

async function everyPointRestoresIdentical(): Promise<void> {
  for (const p of await points(hub, 'h1')) {
    expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`r-${p.id}.img`)), `point ${p.id}`).toBe(shaAt.get(p.id));
  }
}

async function verifyClean(): Promise<void> {
  const r = await hub.json<{ ok: boolean; points: VerifyResultView[] }>(['verify']);
  expect(r.ok).toBe(true);
  expect(r.points.map((p) => p.pointId).sort((a, b) => a - b)).toEqual((await points(hub, 'h1')).map((p) => p.id));
}

const taken: PointView[] = [];

beforeAll(async () => {
  process.env.DRC_TEST_CLOCK_FILE = clockFile;
  setClock(DAY0 + 3_600_000); // Wednesday 01:00
  const cfg = c.file('drc.yaml');
  fs.writeFileSync(
    cfg,
    ['schedules:', '  - name: nightly', '    cron: "0 2 * * *"', '    timezone: UTC', '    priority: 10', '    targets: ["h1"]', '    type: incremental',
      '    retention:', '      daily: 3', '      weekly: 2',
      // never due in the simulated weeks: run on demand
      '  - name: new-year-verify', '    cron: "0 3 1 1 *"', '    targets: ["h*"]', '    type: verify',
      // retention and gc by hand here: the automatic nightly run is tested in maintenance-auto
      'maintenance:', '  cron: "off"', ''].join('\n'),
  );
  hub = await c.startHub(new HubProc(c.hubData, ['--config', cfg]));
  const token = await hub.addHost('h1');
  image = c.file('disk.img');
  makeImage(image, 8);
  const agent: AgentProc = await c.startAgent(hub, 'h1', token, { disk: image });
  expect(agent.proc.pid).toBeDefined();
}, 120_000);

afterAll(async () => {
  delete process.env.DRC_TEST_CLOCK_FILE;
  await c.stop();
});

describe('a simulated week and a half under a nightly schedule with retention daily 3 / weekly 2', () => {
  it('takes one point per night from the schedule and a manual one on the last day', async () => {
    for (let day = 0; day <= 8; day++) taken.push(await nightly(day));
    mutate(9);
    await travelTo(DAY0 + 8 * DAY + 9 * 3_600_000);
    const manual = await backupOk(hub, 'h1');
    const all = await points(hub, 'h1');
    taken.push(all.find((p) => p.id === manual.pointIds[0])!);
    shaAt.set(taken[9]!.id, sha256File(image));
    expect(taken.map((p) => p.time.slice(0, 13))).toEqual([
      '2025-06-04T02', '2025-06-05T02', '2025-06-06T02', '2025-06-07T02', '2025-06-08T02',
      '2025-06-09T02', '2025-06-10T02', '2025-06-11T02', '2025-06-12T02', '2025-06-12T09',
    ]);
    expect(taken.map((p) => p.type)).toEqual(['full', ...Array(9).fill('incremental')]);
    const [nightlyView] = await hub.json<ScheduleView[]>(['schedules']);
    expect(nightlyView).toMatchObject({ name: 'nightly', next: '2025-06-13T02:00:00.000Z', lastResult: { state: 'succeeded', missed: 0 } });
  }, 300_000);

  it('previews which points would go and which rule keeps each one, deleting nothing', async () => {
    const r = await hub.json<PruneReport>(['prune', '--dry-run']);
    const ids = taken.map((p) => p.id);
    expect(r.deleted).toEqual([ids[0], ids[1], ids[2], ids[3], ids[5], ids[8]]);
    const why = new Map(r.decisions.map((d) => [d.pointId, d.reasons]));
    expect(why.get(ids[4]!)).toEqual(['nightly: weekly 2025-W23']);
    expect(why.get(ids[9]!)).toEqual(['nightly: newest', 'nightly: daily 2025-06-12', 'nightly: weekly 2025-W24']);
    expect(why.get(ids[0]!)).toEqual(['nightly: kept by no rule of daily 3, weekly 2']);
    expect((await points(hub, 'h1')).length).toBe(10);
  });

  it('leaves exactly Sunday (weekly), Tuesday, Wednesday and the newest of Thursday', async () => {
    const r = await hub.json<PruneReport>(['prune']);
    expect(r.deleted).toHaveLength(6);
    const left = await points(hub, 'h1');
    expect(left.map((p) => p.id)).toEqual([taken[4]!.id, taken[6]!.id, taken[7]!.id, taken[9]!.id]);
    expect(left[0]!.type).toBe('full'); // its base was deleted: it became the full
  });

  it('restores every remaining point byte-identical', async () => {
    await everyPointRestoresIdentical();
  }, 120_000);

  it('frees the bytes of the deleted points with gc', async () => {
    const before = packBytesOnDisk(hub.dataDir);
    const r = await hub.json<GcReportView>(['gc']);
    // five deleted incrementals each had 16 churned blocks of random data, now garbage
    expect(r.bytesFreed).toBeGreaterThanOrEqual(5 * CHURN * BLOCK);
    expect(before - packBytesOnDisk(hub.dataDir)).toBe(r.bytesFreed);
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.danglingChunks).toBe(0);
  });

  it('still restores every point byte-identical after gc, and verify is clean and recorded', async () => {
    await everyPointRestoresIdentical();
    await verifyClean();
    expect((await points(hub, 'h1')).every((p) => p.verifiedAt !== null)).toBe(true);
  }, 120_000);

  it('runs a verify schedule on demand as a verify job in the queue', async () => {
    const [job] = await hub.json<JobView[]>(['schedules', 'run', 'new-year-verify']);
    expect(job).toMatchObject({ kind: 'verify', host: 'h1', origin: 'schedule:new-year-verify' });
    const done = await waitFor('the verify job', async () => {
      const v = (await hub.json<ScheduleView[]>(['schedules'])).find((x) => x.name === 'new-year-verify')!;
      return v.lastResult?.state !== 'running' && v.lastResult;
    });
    expect(done).toMatchObject({ state: 'succeeded', jobIds: [job!.id] });
  });
});

describe('gc killed midway', () => {
  it('leaves the catalog consistent, and a restart plus a rerun finish the job', async () => {
    for (let day = 9; day <= 11; day++) await nightly(day);
    const pruned = await hub.json<PruneReport>(['prune']);
    expect(pruned.deleted.length).toBeGreaterThan(0);
    await hub.stop();
    process.env.DRC_TEST_GC_CRASH_AFTER_COMMITS = '1';
    await hub.start();
    delete process.env.DRC_TEST_GC_CRASH_AFTER_COMMITS;
    const r = await hub.run(['gc', '--json']);
    expect(r.code).not.toBe(0);
    await waitFor('the hub to die', () => hub.proc.exitCode !== null || hub.proc.signalCode !== null);
    expect(hub.proc.signalCode).toBe('SIGKILL');
    const crashed = storeConsistency(hub.dataDir);
    expect(crashed.danglingChunks).toBe(0);
    for (const p of crashed.registered) expect(crashed.onDisk).toContain(p);
    expect(crashed.onDisk.length).toBeGreaterThan(crashed.registered.length); // old packs not yet deleted

    await hub.start();
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    const again = await hub.json<GcReportView>(['gc']);
    expect(again.chunksRemoved).toBe(0);
    await everyPointRestoresIdentical();
    await verifyClean();
  }, 300_000);
});

describe('catch-up after downtime', () => {
  it('runs the nightly once, not once per missed night, when the hub comes back days later', async () => {
    await hub.stop();
    // last run: Sunday 15 June; the runs of Monday 16 to Thursday 19 are missed
    const back = DAY0 + 15 * DAY + 12 * 3_600_000;
    setClock(back);
    await hub.start();
    // the schedule's jobs since the hub came back, queued, running or (a small incremental) done already
    const catchUp = async () => (await hub.json<JobView[]>(['tasks'])).filter((j) => j.origin === 'schedule:nightly' && Date.parse(j.createdAt) >= back);
    await waitFor('the catch-up job', async () => (await catchUp()).length > 0);
    await new Promise((r) => setTimeout(r, 2500)); // more scheduler ticks: still one
    expect(await catchUp()).toHaveLength(1);
    const [v] = await hub.json<ScheduleView[]>(['schedules']);
    expect(v!.lastResult).toMatchObject({ missed: 3 });
    expect(v!.queue.length).toBeLessThanOrEqual(1);
    expect(v!.next).toBe('2025-06-20T02:00:00.000Z');
  });
});
