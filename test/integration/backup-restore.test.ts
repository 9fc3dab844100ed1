// A full backup, three incrementals and an empty one against a real hub and agent; every
// point restores byte-identical, and incrementals move and store only the changed blocks.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES } from '../../src/protocol/frames.js';
import { makeImage, rewriteBlocks, type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, packBytesOnDisk, points, restoredSha, sha256File, type JobView, type PointView } from './support.js';

const BLOCK = 65536;
const IMAGE_MIB = 48;
const CHANGED_PER_ROUND = 40;
const ROUNDS = 3;

describe('backup and restore through a real hub and agent', () => {
  const c = new Cluster();
  let hub: HubProc;
  let image: string;
  /** sha256 of the image as it was when each point was taken, by point id */
  const shaAt = new Map<number, string>();
  const incrementals: { job: JobView; packBytesBefore: number; packBytesAfter: number }[] = [];

  beforeAll(async () => {
    hub = await c.startHub();
    const token = await hub.addHost('h1');
    image = c.file('disk.img');
    makeImage(image, IMAGE_MIB);
    await c.startAgent(hub, 'h1', token, { disk: image });
  });

  afterAll(() => c.stop());

  it('takes a full backup of every block of a new volume', async () => {
    const job = await backupOk(hub, 'h1');
    expect(job.pointIds).toHaveLength(1);
    const [p] = await points(hub, 'h1');
    expect(p).toMatchObject({ id: job.pointIds[0], type: 'full', parentId: null, changedBlocks: (IMAGE_MIB << 20) / BLOCK, size: IMAGE_MIB << 20 });
    shaAt.set(p!.id, sha256File(image));
    fs.copyFileSync(image, c.file(`disk.at-${p!.id}.img`));
  });

  it('moves and stores only the changed blocks in each of three incrementals', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      expect(rewriteBlocks(image, CHANGED_PER_ROUND)).toHaveLength(CHANGED_PER_ROUND);
      const packBytesBefore = packBytesOnDisk(hub.dataDir);
      const job = await backupOk(hub, 'h1');
      incrementals.push({ job, packBytesBefore, packBytesAfter: packBytesOnDisk(hub.dataDir) });
      shaAt.set(job.pointIds[0]!, sha256File(image));
      fs.copyFileSync(image, c.file(`disk.at-${job.pointIds[0]}.img`));
    }
    const all = await points(hub, 'h1');
    // rewritten blocks are random: they do not compress, so each goes raw in its own frame
    const payload = CHANGED_PER_ROUND * BLOCK;
    const onWire = CHANGED_PER_ROUND * (BLOCK + FRAME_HEADER_BYTES);
    for (const { job, packBytesBefore, packBytesAfter } of incrementals) {
      const p = all.find((x) => x.id === job.pointIds[0])!;
      expect(p).toMatchObject({ type: 'incremental', changedBlocks: CHANGED_PER_ROUND });
      expect(job.bytesWire).toBeGreaterThanOrEqual(payload);
      expect(job.bytesWire).toBeLessThanOrEqual(1.1 * onWire);
      expect(job.bytesNew).toBeGreaterThanOrEqual(payload);
      expect(job.bytesNew).toBeLessThanOrEqual(1.1 * payload);
      expect(packBytesAfter - packBytesBefore).toBe(job.bytesNew);
    }
  });

  it('sends nothing and records a point with no changed blocks when nothing changed', async () => {
    const packBytesBefore = packBytesOnDisk(hub.dataDir);
    const job = await backupOk(hub, 'h1');
    expect(job.bytesWire).toBe(0);
    expect(job.bytesNew).toBe(0);
    expect(packBytesOnDisk(hub.dataDir)).toBe(packBytesBefore);
    const p = (await points(hub, 'h1')).find((x) => x.id === job.pointIds[0]);
    expect(p).toMatchObject({ type: 'incremental', changedBlocks: 0 });
    shaAt.set(p!.id, sha256File(image));
  });

  it('restores every recovery point byte-identical to the image as it was at that point', async () => {
    const all = await points(hub, 'h1');
    expect(all).toHaveLength(1 + ROUNDS + 1);
    expect(new Set(all.map((p) => shaAt.get(p.id))).size).toBe(1 + ROUNDS); // every round changed the image
    for (const p of all) {
      expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`restored-${p.id}.img`)), `point ${p.id}`).toBe(shaAt.get(p.id));
    }
  });

  it('resolves --point latest to the newest point and an ISO time to the last point at or before it', async () => {
    const all: PointView[] = await points(hub, 'h1');
    const newest = all[all.length - 1]!;
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('latest.img'))).toBe(shaAt.get(newest.id));

    const second = all[1]!;
    const third = all[2]!;
    expect(await restoredSha(hub, 'h1', 'disk', second.time, c.file('at-second.img'))).toBe(shaAt.get(second.id));
    // a moment before the third point still resolves to the second
    const justBefore = new Date(Date.parse(third.time) - 1).toISOString();
    expect(Date.parse(justBefore)).toBeGreaterThanOrEqual(Date.parse(second.time));
    expect(await restoredSha(hub, 'h1', 'disk', justBefore, c.file('before-third.img'))).toBe(shaAt.get(second.id));
  });
});
