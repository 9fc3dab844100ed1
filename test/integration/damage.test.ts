// A flipped byte inside a stored chunk: restore must refuse, say which volume and block,
// and leave no image (partial or wrong) behind; the chunk and the points relying on it are
// marked damaged until a full verify reads it good or the next backup of the block heals it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, flipPackByte, points, storedChunk as storedChunkOf, type StoredChunk, restore, restoredSha, sha256File, waitFor, withCatalog } from './support.js';

const BLOCK = 65536;

describe('restore of a damaged store', () => {
  const c = new Cluster();
  let hub: HubProc;
  let image: string;
  let imageSha: string;
  /** block indices of the image by the sha256 of their content */
  const blocksByHash = new Map<string, number[]>();

  beforeAll(async () => {
    hub = await c.startHub();
    const token = await hub.addHost('h1');
    image = c.file('disk.img');
    makeImage(image, 8);
    imageSha = sha256File(image);
    const bytes = fs.readFileSync(image);
    for (let i = 0; i * BLOCK < bytes.length; i++) {
      const h = createHash('sha256').update(bytes.subarray(i * BLOCK, (i + 1) * BLOCK)).digest('hex');
      blocksByHash.set(h, [...(blocksByHash.get(h) ?? []), i]);
    }
    await c.startAgent(hub, 'h1', token, { disk: image });
    await backupOk(hub, 'h1');
  });

  afterAll(() => c.stop());

  const storedChunk = (codec: number): StoredChunk => storedChunkOf(hub.dataDir, codec, 3);
  const flipByte = (ch: StoredChunk): (() => void) => flipPackByte(hub.dataDir, ch);

  /** A full verify reads every chunk: with the bytes back, it clears the damage marks. */
  async function verifyClean(): Promise<void> {
    const r = await hub.run(['verify', 'h1']);
    expect(r.code, r.stderr).toBe(0);
    expect((await points(hub, 'h1')).filter((p) => p.damaged)).toEqual([]);
  }

  function leftovers(target: string): string[] {
    return fs.readdirSync(path.dirname(target)).filter((f) => f.startsWith(path.basename(target)));
  }

  it('refuses to restore over a damaged raw chunk, naming the volume and its only block, and leaves no file', async () => {
    const ch = storedChunk(0);
    const blocks = blocksByHash.get(ch.hash.toString('hex'));
    expect(blocks).toHaveLength(1); // random data: the chunk belongs to exactly one block
    const undo = flipByte(ch);
    try {
      const target = c.file('out/raw-damage.img');
      const r = await restore(hub, 'h1', 'disk', 'latest', target);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`volume disk block ${blocks![0]}:`);
      expect(r.stderr).toMatch(/damaged/);
      expect(fs.existsSync(target)).toBe(false);
      expect(leftovers(target)).toEqual([]);
    } finally {
      undo();
      await verifyClean();
    }
  });

  it('refuses to restore over a damaged compressed chunk, naming a block that uses it, and leaves no file', async () => {
    const ch = storedChunk(1);
    const blocks = blocksByHash.get(ch.hash.toString('hex'))!;
    expect(blocks.length).toBeGreaterThan(0);
    const undo = flipByte(ch);
    try {
      const target = c.file('out/zstd-damage.img');
      const r = await restore(hub, 'h1', 'disk', 'latest', target);
      expect(r.code).toBe(1);
      const named = /volume disk block (\d+):/.exec(r.stderr);
      expect(named, r.stderr).not.toBeNull();
      expect(blocks).toContain(Number(named![1]));
      expect(fs.existsSync(target)).toBe(false);
      expect(leftovers(target)).toEqual([]);
    } finally {
      undo();
      await verifyClean();
    }
  });

  it('restores byte-identical again once the damage is undone', async () => {
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out/undamaged.img'))).toBe(imageSha);
  });

  it('marks the chunk and its point damaged on verify, and a sample verify does not clear the mark', async () => {
    const ch = storedChunk(0);
    const block = blocksByHash.get(ch.hash.toString('hex'))![0]!;
    const undo = flipByte(ch);
    try {
      const v = await hub.run(['verify', 'h1']);
      expect(v.code).toBe(1);
      const [p] = await points(hub, 'h1');
      expect(p!.damaged).toBe(true);
      undo(); // a sample that happens to read the chunk good must not clear it either
      const s = await hub.run(['verify', 'h1', '--sample', '1']);
      expect(s.code).toBe(1);
      expect((await points(hub, 'h1'))[0]!.damaged).toBe(true);
      const target = c.file('out/marked.img');
      const r = await restore(hub, 'h1', 'disk', 'latest', target);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`volume disk point ${p!.id} is damaged at block ${block}`);
      expect(leftovers(target)).toEqual([]);
    } finally {
      undo();
      await verifyClean();
    }
  });

  it('restores a damaged point with --allow-damaged: zeros at the damaged block, the rest intact, and says where', async () => {
    const ch = storedChunk(0);
    const block = blocksByHash.get(ch.hash.toString('hex'))![0]!;
    const undo = flipByte(ch);
    try {
      expect((await hub.run(['verify', 'h1'])).code).toBe(1);
      const target = c.file('out/zeroed.img');
      const r = await hub.run(['restore', 'h1', '--volume', 'disk', '--point', 'latest', '--to', target, '--allow-damaged']);
      expect(r.code, r.stderr).toBe(0);
      const want = fs.readFileSync(image);
      want.fill(0, block * BLOCK, (block + 1) * BLOCK);
      expect(fs.readFileSync(target).equals(want)).toBe(true);
      const told = withCatalog(hub.dataDir, (db) => db.prepare("SELECT message FROM events WHERE kind = 'restore.zeroed'").all() as { message: string }[]);
      expect(told.some((e) => e.message.includes(`block ${block}`))).toBe(true);
      fs.rmSync(target, { force: true });
    } finally {
      undo();
      await verifyClean();
    }
  });

  it('heals a damaged chunk with the next backup of the same data: verify is clean and the point restores byte-identical', async () => {
    const ch = storedChunk(0);
    const undo = flipByte(ch);
    // the flipped byte stays in the old pack: only the new copy can heal it
    expect((await hub.run(['verify', 'h1'])).code).toBe(1);
    expect((await points(hub, 'h1')).every((p) => p.damaged)).toBe(true);
    const j = await backupOk(hub, 'h1', true);
    expect(j.bytesNew).toBeGreaterThan(0); // the hub asked for the damaged chunk again
    await waitFor('points healed', async () => (await points(hub, 'h1')).every((p) => !p.damaged) || undefined);
    const v = await hub.run(['verify', 'h1']);
    expect(v.code, v.stderr).toBe(0);
    for (const p of await points(hub, 'h1')) expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`out/healed-${p.id}.img`))).toBe(imageSha);
    undo();
  });

  it('raises the verify-failed alarm by default when verify finds damage', async () => {
    const ch = storedChunk(1);
    const undo = flipByte(ch);
    try {
      expect((await hub.run(['verify', 'h1'])).code).toBe(1);
      await waitFor('verify-failed alarm', async () => {
        const list = await hub.json<{ rule: string; state: string }[]>(['alarms']);
        return list.find((a) => a.rule === 'verify-failed');
      });
    } finally {
      undo();
      await verifyClean();
    }
  });
});
