// Faults end cleanly: a flipped bit in a point's recorded size or block size is caught by
// verify (naming the point) and refused by restore; a restore into a full target fails with
// one line, leaves nothing behind and holds no job slot.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, packDir, points, randomImage, restore, restoredSha, sha256File } from './support.js';

describe('faults end cleanly', () => {
  const c = new Cluster();
  let hub: HubProc;
  let small: string;
  let big: string;

  beforeAll(async () => {
    hub = await c.startHub();
    small = c.file('small.img');
    makeImage(small, 4);
    big = c.file('big.img');
    randomImage(big, 48);
    await c.startAgent(hub, 'h1', await hub.addHost('h1'), { disk: small });
    await c.startAgent(hub, 'h2', await hub.addHost('h2'), { disk: big });
    await backupOk(hub, 'h1');
    await backupOk(hub, 'h2');
  }, 120_000);

  afterAll(() => c.stop());

  /** Flip one bit of a column of h1's point in the catalog; returns the point id and an undo. */
  async function flipBit(column: 'size' | 'block_size', bit: number): Promise<{ id: number; undo: () => void }> {
    const [p] = await points(hub, 'h1');
    const db = new Database(path.join(hub.dataDir, 'catalog.db'));
    // SQLite has no XOR: a ^ b = (a | b) - (a & b)
    const flip = () => db.prepare(`UPDATE points SET ${column} = (${column} | ?) - (${column} & ?) WHERE id = ?`).run(1 << bit, 1 << bit, p!.id);
    flip();
    return {
      id: p!.id,
      undo: () => {
        flip();
        db.close();
      },
    };
  }

  for (const [column, bit] of [['size', 12], ['block_size', 3]] as const) {
    it(`fails verify naming the point and refuses restore after one flipped bit of its ${column}`, async () => {
      const { id, undo } = await flipBit(column, bit);
      try {
        const v = await hub.run(['verify', 'h1']);
        expect(v.code).toBe(1);
        expect(v.stdout + v.stderr).toContain(`point ${id}`);
        const target = c.file(`out/${column}.img`);
        const r = await restore(hub, 'h1', 'disk', 'latest', target);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/metadata is inconsistent/);
        expect(fs.existsSync(target)).toBe(false);
      } finally {
        undo();
      }
      expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out/back.img'))).toBe(sha256File(small));
    });
  }

  it('fails a full verify when a pack lost its header, naming the pack', async () => {
    const dir = packDir(hub.dataDir);
    const pack = fs.readdirSync(dir).find((f) => f.endsWith('.pack'))!;
    const file = path.join(dir, pack);
    const fd = fs.openSync(file, 'r+');
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    fs.writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, 0);
    try {
      const v = await hub.run(['verify', 'h1']);
      const w = await hub.run(['verify', 'h2']);
      expect(v.code + w.code).toBe(2);
      expect(v.stdout + v.stderr + w.stdout + w.stderr).toContain(`pack ${pack.replace(/\.pack$/, '')} does not start with the pack header`);
    } finally {
      fs.writeSync(fd, head, 0, 8, 0);
      fs.closeSync(fd);
    }
    expect((await hub.run(['verify', 'h1'])).code).toBe(0);
  });

  it('fails a restore into a full 40 MiB target cleanly, leaves no file and lets the next restore run at once', async (ctx) => {
    const mnt = c.file('full');
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip(); // needs root and tmpfs
      return;
    }
    try {
      const started = Date.now();
      const r = await restore(hub, 'h2', 'disk', 'latest', path.join(mnt, 'big.img'));
      expect(r.code).toBe(1);
      const failure = r.stderr.trim().split('\n').filter((l) => l.startsWith('drc:'));
      expect(failure, r.stderr).toHaveLength(1);
      expect(failure[0]).toMatch(/restore of h2\/disk failed: .*big\.img.*(ENOSPC|no space)/i);
      expect(failure[0]).not.toContain('.partial');
      expect(fs.readdirSync(mnt)).toEqual([]);
      expect(Date.now() - started).toBeLessThan(60_000);
      const t0 = Date.now();
      expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out/after-full.img'))).toBe(sha256File(small));
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    }
  });
});
