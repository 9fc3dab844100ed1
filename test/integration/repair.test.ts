// `drc repair`: a chunk that fails its hash is healed without waiting for the next backup —
// from the agent whose volume still holds the block, or, when the block has changed since,
// from a directory copy. Afterwards verify is clean and the point restores byte-identical.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProc, makeImage } from '../helpers/cluster.js';
import type { RepairView } from '../../src/protocol/storage.js';
import { Cluster, backupOk, flipPackByte, points, restoredSha, sha256File, storedChunk, type StoredChunk } from './support.js';

const BLOCK = 65536;

describe('drc repair', () => {
  const c = new Cluster();
  let hub: HubProc;
  let image: string;
  let imageSha: string;
  let config: string;

  beforeAll(async () => {
    config = c.file('drc.yaml');
    fs.writeFileSync(config, `copies:\n  - name: vault\n    type: directory\n    path: ${c.file('vault')}\n`);
    hub = await c.startHub(new HubProc(c.hubData, ['--config', config]));
    const token = await hub.addHost('h1');
    image = c.file('disk.img');
    makeImage(image, 8);
    imageSha = sha256File(image);
    await c.startAgent(hub, 'h1', token, { disk: image });
    await backupOk(hub, 'h1');
  });

  afterAll(() => c.stop());

  /** The n-th raw (random, so single-block) chunk of the store, with the block that holds it. */
  function rawChunk(n: number): StoredChunk & { block: number } {
    const ch = storedChunk(hub.dataDir, 0, n);
    const bytes = fs.readFileSync(image);
    for (let i = 0; i * BLOCK < bytes.length; i++) {
      if (createHash('sha256').update(bytes.subarray(i * BLOCK, (i + 1) * BLOCK)).digest().equals(ch.hash)) return { ...ch, block: i };
    }
    throw new Error('chunk not found on the disk');
  }

  async function damage(ch: StoredChunk): Promise<void> {
    flipPackByte(hub.dataDir, ch);
    expect((await hub.run(['verify', 'h1'])).code).toBe(1);
    expect((await points(hub, 'h1')).every((p) => p.damaged)).toBe(true);
  }

  async function clean(): Promise<void> {
    const v = await hub.run(['verify', 'h1']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect((await points(hub, 'h1')).filter((p) => p.damaged)).toEqual([]);
    for (const p of await points(hub, 'h1')) expect(await restoredSha(hub, 'h1', 'disk', p.id, c.file(`out/point-${p.id}.img`))).toBe(imageSha);
  }

  it('has nothing to repair in a clean store', async () => {
    const r = await hub.run(['repair']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to repair');
  });

  it('heals a flipped byte from the agent that still holds the block: verify is clean and every point restores byte-identical', async () => {
    const ch = rawChunk(2);
    await damage(ch);
    const r = await hub.json<RepairView>(['repair', 'h1']);
    expect(r).toMatchObject({ healed: 1, stillDamaged: 0 });
    expect(r.chunks[0]).toMatchObject({ chunk: ch.hash.toString('hex').slice(0, 16), host: 'h1', volume: 'disk', block: ch.block, healedFrom: 'agent' });
    expect(r.chunks[0]!.source).toBe(`h1/disk block ${ch.block}`);
    await clean();
  });

  it('leaves a chunk damaged, and says so, when the block has changed on the agent and no copy holds it', async () => {
    const ch = rawChunk(4);
    const original = fs.readFileSync(image).subarray(ch.block * BLOCK, (ch.block + 1) * BLOCK);
    await damage(ch);
    const fd = fs.openSync(image, 'r+');
    fs.writeSync(fd, randomBytes(BLOCK), 0, BLOCK, ch.block * BLOCK);
    fs.closeSync(fd);
    try {
      const r = await hub.run(['repair', 'h1']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`${ch.hash.toString('hex').slice(0, 16)} +h1 +disk +${ch.block} +still damaged: no connected agent still holds the block`));
      expect(r.stderr).toMatch(/^drc: repair: 1 chunk\(s\) still damaged/m);
      expect((await points(hub, 'h1')).every((p) => p.damaged)).toBe(true);
    } finally {
      const fd2 = fs.openSync(image, 'r+');
      fs.writeSync(fd2, original, 0, BLOCK, ch.block * BLOCK);
      fs.closeSync(fd2);
    }
    expect((await hub.json<RepairView>(['repair'])).healed).toBe(1); // the block is back: the agent heals it
    await clean();
  });

  it('heals from a directory copy when the agent no longer holds the block', async () => {
    const run = await hub.json<{ state: string }>(['copies', 'run', 'vault', '--wait']);
    expect(run.state).toBe('succeeded');
    const ch = rawChunk(6);
    await damage(ch);
    const fd = fs.openSync(image, 'r+');
    const original = Buffer.alloc(BLOCK);
    fs.readSync(fd, original, 0, BLOCK, ch.block * BLOCK);
    fs.writeSync(fd, randomBytes(BLOCK), 0, BLOCK, ch.block * BLOCK);
    fs.closeSync(fd);
    const r = await hub.json<RepairView>(['repair', 'h1']);
    expect(r).toMatchObject({ healed: 1, stillDamaged: 0 });
    expect(r.chunks[0]).toMatchObject({ block: ch.block, healedFrom: 'copy', source: 'copy vault' });
    await clean();
    const fd2 = fs.openSync(image, 'r+');
    fs.writeSync(fd2, original, 0, BLOCK, ch.block * BLOCK);
    fs.closeSync(fd2);
  });
});
