// Bit flips where the data is described rather than stored: one flipped bit in a point's
// manifest or in a chunk's index row (its offset or length in the pack) is caught by verify,
// which names the point, and restore writes nothing; once the bit is back, a full verify is
// clean and the point restores byte-identical again.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, points, randomImage, restore, restoredSha, sha256File } from './support.js';

const c = new Cluster();
let hub: HubProc;
let image: string;
let pointId = 0;

beforeAll(async () => {
  hub = await c.startHub();
  image = c.file('disk.img');
  randomImage(image, 4);
  await c.startAgent(hub, 'h1', await hub.addHost('h1'), { disk: image });
  await backupOk(hub, 'h1');
  pointId = (await points(hub, 'h1'))[0]!.id;
}, 60_000);

afterAll(() => c.stop());

/** Run `fn` against the catalog opened for writing, as a disk error would change it. */
function withWritableCatalog<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(hub.dataDir, 'catalog.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function expectCaughtThenHealedByUndo(what: string, flip: () => void): Promise<void> {
  flip();
  try {
    const v = await hub.run(['verify', 'h1']);
    expect(v.code, `verify after a flipped bit in ${what}`).toBe(1);
    expect(v.stdout + v.stderr).toContain(`point ${pointId}`);
    const target = c.file(`out-${what.replace(/\W+/g, '-')}.img`);
    const r = await restore(hub, 'h1', 'disk', pointId, target);
    expect(r.code, `restore after a flipped bit in ${what}`).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(target)).toBe(false);
  } finally {
    flip();
  }
  // the bit is back: a full verify reads every chunk again and clears the marks it set
  const again = await hub.run(['verify', 'h1']);
  expect(again.code, again.stdout + again.stderr).toBe(0);
  expect(await restoredSha(hub, 'h1', 'disk', pointId, c.file('back.img'))).toBe(sha256File(image));
  fs.rmSync(c.file('back.img'), { force: true });
}

describe('a flipped bit in what describes the data', () => {
  it('is caught in a point\'s manifest', async () => {
    await expectCaughtThenHealedByUndo('the manifest', () =>
      withWritableCatalog((db) => {
        const row = db.prepare('SELECT manifest FROM points WHERE id = ?').get(pointId) as { manifest: Buffer };
        const m = Buffer.from(row.manifest);
        // a bit near the end: inside the last block's chunk hash
        m[m.length - 5]! ^= 0x10;
        db.prepare('UPDATE points SET manifest = ? WHERE id = ?').run(m, pointId);
      }),
    );
  }, 60_000);

  for (const column of ['offset', 'length'] as const) {
    it(`is caught in a chunk index row's ${column}`, async () => {
      await expectCaughtThenHealedByUndo(`a chunk's ${column}`, () =>
        withWritableCatalog((db) => {
          // the chunk stored last in its pack, so that the flip cannot fall on another record by luck
          const ch = db.prepare(`SELECT hash FROM chunks ORDER BY pack_id DESC, offset DESC LIMIT 1`).get() as { hash: Buffer };
          db.prepare(`UPDATE chunks SET ${column} = (${column} | 4) - (${column} & 4) WHERE hash = ?`).run(ch.hash);
        }),
      );
    }, 60_000);
  }
});
