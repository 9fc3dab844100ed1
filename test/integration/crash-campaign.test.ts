// A crash campaign, seeded and bounded: the hub is killed with SIGKILL at random moments of a
// full backup, of incremental backups, of gc and of prune, and restarted on the same data
// directory each time. After every crash the store is consistent (no pack outside the
// catalog, no chunk without its pack); at the end verify is clean, every committed point
// restores byte-identical and the next backup succeeds.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PruneReport, VerifyResultView } from '../../src/protocol/operator.js';
import { rng } from '../helpers/rng.js';
import { Cluster, PinnedHubProc, backup, freePort, points, randomImage, restoredSha, sha256File, storeConsistency, waitFor } from './support.js';

const SEED = Number(process.env.DRC_CAMPAIGN_SEED ?? 20261203);
const BLOCK = 65536;
const IMAGE_MIB = 16;

const random = rng(SEED);
const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo));

const c = new Cluster();
let hub: PinnedHubProc;
let image: string;
/** the image's sha256 while each committed point was taken */
const shaAt = new Map<number, string>();
const crashes: string[] = [];

function rewrite(count: number): void {
  const fd = fs.openSync(image, 'r+');
  const blocks = (IMAGE_MIB * 1024 * 1024) / BLOCK;
  for (let i = 0; i < count; i++) fs.writeSync(fd, randomBytes(BLOCK), 0, BLOCK, between(0, blocks) * BLOCK);
  fs.closeSync(fd);
}

async function connected(): Promise<void> {
  await waitFor('h1 connected', async () => (await hub.json<{ name: string; link: string }[]>(['hosts'])).some((h) => h.name === 'h1' && h.link === 'connected'), 30_000);
}

/** Points committed since the last look were taken of the image as it is now (it does not change during a backup). */
async function notePoints(): Promise<void> {
  const sha = sha256File(image);
  for (const p of await points(hub, 'h1')) if (!shaAt.has(p.id)) shaAt.set(p.id, sha);
}

function expectConsistent(after: string): void {
  const s = storeConsistency(hub.dataDir);
  expect(s.onDisk, `packs on disk vs catalog after ${after}`).toEqual(s.registered);
  expect(s.danglingChunks, `chunks without their pack after ${after}`).toBe(0);
}

/** Run `start`, kill the hub after `ms`, restart it, and check the store. */
async function crashDuring(what: string, ms: number, start: () => Promise<unknown>): Promise<void> {
  const running = start().catch(() => undefined);
  await new Promise((r) => setTimeout(r, ms));
  await hub.kill9();
  await running;
  crashes.push(`${what} after ${ms} ms`);
  await hub.start();
  expectConsistent(`${what} killed after ${ms} ms`);
  await connected();
  await notePoints();
}

beforeAll(async () => {
  const cfg = c.file('drc.yaml');
  fs.writeFileSync(cfg, ['retention:', '  keep_last: 2', 'maintenance:', '  cron: "off"', ''].join('\n'));
  hub = new PinnedHubProc(c.hubData, await freePort(), ['--config', cfg]);
  await c.startHub(hub);
  const token = await hub.addHost('h1');
  image = c.file('disk.img');
  randomImage(image, IMAGE_MIB);
  await c.startAgent(hub, 'h1', token, { disk: image });
}, 30_000);

afterAll(() => c.stop());

describe(`the hub killed at random points (seed ${SEED})`, () => {
  it('keeps the store consistent through a kill during a full backup', async () => {
    await crashDuring('a full backup', between(100, 900), () => backup(hub, 'h1', true));
  }, 60_000);

  it('keeps the store consistent through kills during incremental backups', async () => {
    // a committed base first, so that the next ones are real incrementals
    const ok = await backup(hub, 'h1');
    expect(ok.state, ok.error ?? '').toBe('succeeded');
    await notePoints();
    for (let i = 0; i < 2; i++) {
      rewrite(between(40, 120));
      await crashDuring(`incremental ${i + 1}`, between(50, 800), () => backup(hub, 'h1'));
    }
  }, 90_000);

  it('keeps the store consistent through a kill during prune', async () => {
    // more points than keep_last 2, whatever the kills before left committed
    while ((await points(hub, 'h1')).length <= 2) {
      rewrite(20);
      const ok = await backup(hub, 'h1');
      expect(ok.state, ok.error ?? '').toBe('succeeded');
      await notePoints();
    }
    const plan = await hub.json<PruneReport>(['prune', '--dry-run']);
    expect(plan.deleted.length).toBeGreaterThan(0);
    await crashDuring('prune', between(0, 400), () => hub.run(['prune', '--json']));
    // the kill left the points before or after retention, never a point the campaign did not take
    for (const p of await points(hub, 'h1')) expect(shaAt.has(p.id), `point ${p.id}`).toBe(true);
  }, 60_000);

  it('keeps the store consistent through a kill during gc', async () => {
    await hub.json<PruneReport>(['prune']);
    await crashDuring('gc', between(0, 300), () => hub.run(['gc', '--json']));
    const again = await hub.run(['gc', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expectConsistent('a gc rerun');
  }, 60_000);

  it('verifies clean, restores every committed point byte-identical, and takes the next backup', async () => {
    const v = await hub.json<{ ok: boolean; points: VerifyResultView[] }>(['verify']);
    expect(v.ok, `crashes: ${crashes.join(', ')}`).toBe(true);
    const left = await points(hub, 'h1');
    expect(left.length).toBeGreaterThan(0);
    for (const p of left) expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`r-${p.id}.img`)), `point ${p.id}; crashes: ${crashes.join(', ')}`).toBe(shaAt.get(p.id));
    rewrite(30);
    const next = await backup(hub, 'h1');
    expect(next.state, next.error ?? '').toBe('succeeded');
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('r-next.img'))).toBe(sha256File(image));
  }, 90_000);
});
