// Maintenance that runs itself: with `keep_last: 2` and four points, the nightly run (the hub's
// clock moved by DRC_TEST_CLOCK_FILE) deletes exactly what `prune --dry-run` predicted a moment
// before, gc frees the bytes it reports, events and audit entries past their retention go (the
// audit deletion itself audited), and the full verify of old points spreads over two nights.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaintenanceRunView, MaintenanceStatusView, PruneReport } from '../../src/protocol/operator.js';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk, packBytesOnDisk, points, restoredSha, sha256File, storeConsistency, waitFor, withCatalog, type PointView, setHubClock } from './support.js';

const BLOCK = 65536;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Wednesday 4 June 2025, 00:00 UTC */
const DAY0 = Date.parse('2025-06-04T00:00:00Z');

const c = new Cluster();
const clockFile = c.file('clock');
let hub: HubProc;
let image: string;
const shaAt = new Map<number, string>();

const setClock = (ms: number): void => setHubClock(clockFile, ms);

function rewrite(blocks: number[]): void {
  const fd = fs.openSync(image, 'r+');
  for (const b of blocks) fs.writeSync(fd, randomBytes(BLOCK), 0, BLOCK, b * BLOCK);
  fs.closeSync(fd);
}

async function status(): Promise<MaintenanceStatusView> {
  return hub.json<MaintenanceStatusView>(['maintenance']);
}

/** Move the hub's clock past the night's 03:30 run and wait for that run's record. */
async function nightlyRun(day: number): Promise<MaintenanceRunView> {
  const before = (await status()).auto!.lastRuns.length;
  setClock(DAY0 + day * DAY + 3.5 * HOUR + 1000);
  let last: MaintenanceStatusView | null = null;
  return waitFor(`the maintenance run of night ${day}`, async () => {
    last = await status();
    const runs = last.auto!.lastRuns;
    return runs.length > before && runs[0]!.state !== 'running' && runs[0]!;
  }, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; maintenance: ${JSON.stringify(last)}; hub log: ${hub.log.slice(-400)}`);
  });
}

let predicted: PruneReport;
let preview: PruneReport;
let firstRun: MaintenanceRunView;
let packBytesBefore = 0;
let taken: PointView[] = [];

beforeAll(async () => {
  process.env.DRC_TEST_CLOCK_FILE = clockFile;
  setClock(DAY0 + HOUR);
  const cfg = c.file('drc.yaml');
  fs.writeFileSync(
    cfg,
    [
      'retention:', '  keep_last: 2',
      'maintenance:', '  cron: "30 3 * * *"', '  timezone: UTC', '  window: "03:00-05:00"',
      '  verify_every: 1h', '  verify_per_run: 1', '  events_keep: 30d', '  audit_keep: 60d', '',
    ].join('\n'),
  );
  hub = await c.startHub(new HubProc(c.hubData, ['--config', cfg]));
  const token = await hub.addHost('h1');
  image = c.file('disk.img');
  makeImage(image, 4);
  await c.startAgent(hub, 'h1', token, { disk: image });
  for (let i = 0; i < 4; i++) {
    // each backup rewrites three quarters of the disk: the deleted points' packs become garbage
    if (i > 0) rewrite(Array.from({ length: 48 }, (_, b) => b));
    setClock(DAY0 + HOUR + i * 60_000);
    await backupOk(hub, 'h1', i === 0);
    const ps = await points(hub, 'h1');
    shaAt.set(ps.at(-1)!.id, sha256File(image));
  }
  taken = await points(hub, 'h1');
  // the journal of long ago: events 40 days old, audit entries 70 and 50 days old
  const db = new Database(path.join(hub.dataDir, 'catalog.db'));
  const ago = (days: number) => new Date(DAY0 - days * DAY).toISOString();
  for (let i = 0; i < 5; i++) db.prepare("INSERT INTO events (time, level, kind, host, message, data) VALUES (?, 'info', 'old.event', NULL, 'old', '{}')").run(ago(40));
  for (const d of [70, 70, 70, 50]) db.prepare("INSERT INTO audit (time, actor, action, target, outcome, details) VALUES (?, 'admin', 'old.action', NULL, 'ok', '{}')").run(ago(d));
  db.close();
  preview = await hub.json<PruneReport>(['maintenance', 'preview']);
  // a moment before the run: what a manual dry run predicts
  setClock(DAY0 + 3.5 * HOUR - 3000);
  await new Promise((r) => setTimeout(r, 200));
  predicted = await hub.json<PruneReport>(['prune', '--dry-run']);
  packBytesBefore = packBytesOnDisk(hub.dataDir);
  firstRun = await nightlyRun(0);
}, 180_000);

afterAll(async () => {
  delete process.env.DRC_TEST_CLOCK_FILE;
  await c.stop();
});

describe('maintenance that runs itself', () => {
  it('previews the first automatic run before it deletes anything', () => {
    expect(taken).toHaveLength(4);
    expect(preview).toMatchObject({ dryRun: true, now: new Date(DAY0 + 3.5 * HOUR).toISOString() });
    expect(preview.deleted).toEqual(taken.slice(0, 2).map((p) => p.id));
  });

  it('runs on its cron inside its window and deletes exactly what prune --dry-run predicted', async () => {
    expect(firstRun).toMatchObject({ origin: 'maintenance', state: 'succeeded', error: null });
    expect(predicted.deleted.length).toBe(2);
    expect(firstRun.summary!.deleted).toEqual(predicted.deleted);
    expect(firstRun.summary!.consolidated).toEqual(predicted.consolidated);
    expect((await points(hub, 'h1')).map((p) => p.id)).toEqual(taken.slice(2).map((p) => p.id));
    expect((await status()).auto!.firstDeletionPending).toBe(false);
  });

  it('frees the bytes gc reports, and the store stays consistent', () => {
    const s = firstRun.summary!;
    expect(s.bytesFreed).toBeGreaterThan(0);
    expect(packBytesBefore - packBytesOnDisk(hub.dataDir)).toBe(s.bytesFreed);
    const cons = storeConsistency(hub.dataDir);
    expect(cons.onDisk).toEqual(cons.registered);
    expect(cons.danglingChunks).toBe(0);
  });

  it('restores every remaining point byte-identical', async () => {
    for (const p of await points(hub, 'h1')) expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`r-${p.id}.img`))).toBe(shaAt.get(p.id));
  }, 60_000);

  it('deletes events and audit entries past their retention, and audits the audit deletion', () => {
    expect(firstRun.summary).toMatchObject({ eventsRemoved: 5, auditRemoved: 3 });
    const left = withCatalog(hub.dataDir, (db) => ({
      oldEvents: (db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'old.event'").get() as { n: number }).n,
      oldAudit: (db.prepare("SELECT time FROM audit WHERE action = 'old.action'").all() as { time: string }[]).map((r) => r.time),
      retention: db.prepare("SELECT actor, details FROM audit WHERE action = 'audit.retention'").all() as { actor: string; details: string }[],
    }));
    expect(left.oldEvents).toBe(0);
    expect(left.oldAudit).toEqual([new Date(DAY0 - 50 * DAY).toISOString()]);
    expect(left.retention).toHaveLength(1);
    expect(left.retention[0]!.actor).toBe('maintenance');
    expect(JSON.parse(left.retention[0]!.details)).toMatchObject({ removed: 3 });
  });

  it('says what it did in one event', async () => {
    const events = withCatalog(hub.dataDir, (db) => db.prepare("SELECT message FROM events WHERE kind = 'maintenance.finished'").all() as { message: string }[]);
    expect(events.at(-1)!.message).toMatch(/deleted 2 point\(s\).*freed \d+ bytes.*removed 5 event\(s\) and 3 audit entries/);
  });

  it('spreads the full verify of old points over nights, a bounded number per run', async () => {
    const remaining = await points(hub, 'h1');
    expect(firstRun.summary!.verifyPoints).toEqual([remaining[0]!.id]);
    await waitFor('the first night\'s verify', async () => (await points(hub, 'h1')).find((p) => p.id === remaining[0]!.id)?.verifiedAt);
    expect((await points(hub, 'h1')).find((p) => p.id === remaining[1]!.id)!.verifiedAt).toBeNull();
    const second = await nightlyRun(1);
    expect(second.summary!.deleted).toEqual([]);
    expect(second.summary!.verifyPoints).toEqual([remaining[1]!.id]);
    await waitFor('the second night\'s verify', async () => (await points(hub, 'h1')).every((p) => p.verifiedAt !== null), 40_000);
  }, 150_000);
});
