// Encryption at rest and rebuilding a catalog from a repository alone.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { BlockStore } from '../../../src/store/block-store.js';
import { copyPoints } from '../../../src/store/copy.js';
import { LocalPackStore } from '../../../src/store/local-pack-store.js';
import { recoverCatalog } from '../../../src/store/recover.js';
import { Repository } from '../../../src/store/repository.js';
import { restoreVolume } from '../../../src/store/restore.js';
import { verifyPoints } from '../../../src/store/verify.js';
import { tempDir } from '../../helpers/cluster.js';
import { StoreHarness } from './harness.js';

const PASS = 'correct horse battery staple';
let harness: StoreHarness | null = null;
const dirs: string[] = [];

afterEach(() => {
  harness?.close();
  harness = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A harness whose store is an encrypted repository in its own directory. */
async function encryptedHarness(): Promise<StoreHarness> {
  const h = new StoreHarness();
  const repo = await Repository.open(new LocalPackStore(h.dir), { passphrase: PASS, create: true });
  h.store.attach(repo, path.join(h.dir, 'cache'), 1 << 30);
  harness = h;
  return h;
}

/** An image whose blocks hold readable text. */
function textImage(h: StoreHarness): Buffer {
  const img = h.image();
  const line = Buffer.from('drc secret text line\n');
  for (let o = 0; o < 2 * 4096; o += line.length) line.copy(img, o);
  return img;
}

function allFiles(dir: string): Buffer[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name)));
}

describe('encryption at rest', () => {
  it('writes no plain text and no block hash into the repository, and restores byte-identical', async () => {
    const h = await encryptedHarness();
    const img = textImage(h);
    const id = await h.commitStored(img, h.all(), null);
    const files = allFiles(path.join(h.dir, 'packs')).concat(allFiles(path.join(h.dir, 'points')));
    const hash0 = Buffer.from(h.catalog.manifest(id).subarray(5, 37));
    for (const f of files) {
      expect(f.includes('drc secret text')).toBe(false);
      expect(f.includes(hash0)).toBe(false);
    }
    expect((await h.restored(id)).equals(img)).toBe(true);
    const [v] = await verifyPoints(h.store, [{ id, volume: 'disk' }]);
    expect(v!.ok).toBe(true);
  });

  it('refuses a wrong passphrase with one line', async () => {
    const h = await encryptedHarness();
    const e = await Repository.open(new LocalPackStore(h.dir), { passphrase: 'wrong', create: false }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^wrong passphrase: none of the 1 key file\(s\) of .* opens with it$/);
  });

  it('opens with any passphrase of its key files, and never removes the last one', async () => {
    const h = await encryptedHarness();
    const repo = h.store.repo!;
    const k2 = await repo.addKey('second passphrase');
    const again = await Repository.open(new LocalPackStore(h.dir), { passphrase: 'second passphrase', create: false });
    expect(again.config.id).toBe(repo.config.id);
    const first = (await repo.keys()).find((k) => k.id !== k2.id)!;
    await repo.removeKey(first.id, 'second passphrase');
    await expect(Repository.open(new LocalPackStore(h.dir), { passphrase: PASS, create: false })).rejects.toThrow(/wrong passphrase/);
    await expect(repo.removeKey(k2.id, 'second passphrase')).rejects.toThrow(/last key file/);
  });

  it('takes a removed key off a directory copy at its next run; an immutable copy keeps it and says so', async () => {
    const h = await encryptedHarness();
    const id = await h.commitStored(textImage(h), h.all(), null);
    const repo = h.store.repo!;
    const k2 = await repo.addKey('second passphrase');
    const copyDir = tempDir('drc-copy-keys-');
    const wormDir = tempDir('drc-copy-keys-worm-');
    dirs.push(copyDir, wormDir);
    const copy = new LocalPackStore(copyDir);
    const worm = new LocalPackStore(wormDir);
    await copyPoints(h.store, copy, { name: 'usb', immutable: false, keep: null });
    await copyPoints(h.store, worm, { name: 'vault', immutable: true, keep: 3600 });
    expect(fs.readdirSync(path.join(copyDir, 'keys'))).toHaveLength(2);
    await repo.removeKey(k2.id, PASS);
    await copyPoints(h.store, copy, { name: 'usb', immutable: false, keep: null });
    expect(fs.readdirSync(path.join(copyDir, 'keys')).some((f) => f.startsWith(k2.id))).toBe(false);
    await expect(Repository.open(new LocalPackStore(copyDir), { passphrase: 'second passphrase', create: false })).rejects.toThrow(/wrong passphrase/);
    expect((await Repository.open(new LocalPackStore(copyDir), { passphrase: PASS, create: false })).config.id).toBe(repo.config.id);
    const p = await copyPoints(h.store, worm, { name: 'vault', immutable: true, keep: 3600 });
    expect(p.staleKeys).toEqual([expect.stringContaining(k2.id)]);
    expect(id).toBeGreaterThan(0);
  });

  it('detects a flipped byte in an encrypted chunk', async () => {
    const h = await encryptedHarness();
    const img = textImage(h);
    const id = await h.commitStored(img, h.all(), null);
    const loc = h.catalog.chunkLocator()(Buffer.from(h.catalog.manifest(id).subarray(5, 37)))!;
    const file = h.store.backend.pathOf(loc.packName);
    const fd = fs.openSync(file, 'r+');
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, loc.offset + 20);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, loc.offset + 20);
    fs.closeSync(fd);
    h.store.backend.close();
    await expect(h.restored(id)).rejects.toThrow(/block 0: .*damaged/);
  });
});

describe('store recover', () => {
  it('rebuilds a catalog from a directory copy alone, and every point restores byte-identical', async () => {
    const h = await encryptedHarness();
    const a = textImage(h);
    const p1 = await h.commitStored(a, h.all(), null);
    const b = h.changed(a, [1, 7]);
    const p2 = await h.commitStored(b, [1, 7], p1);
    const c = h.changed(b, [3]);
    await h.commitStored(c, [3], p2);

    const copyDir = tempDir('drc-copy-');
    dirs.push(copyDir);
    const copy = new LocalPackStore(copyDir);
    const progress = await copyPoints(h.store, copy, { name: 'offline', immutable: false, keep: null });
    expect(progress.points).toBe(3);
    expect((await copyPoints(h.store, copy, { name: 'offline', immutable: false, keep: null })).points).toBe(0);

    const fresh = tempDir('drc-recovered-');
    dirs.push(fresh);
    const dest = new LocalPackStore(path.join(fresh, 'store'));
    const r = await recoverCatalog(copy, dest, path.join(fresh, 'catalog.db'), { passphrase: PASS });
    expect(r).toMatchObject({ hosts: 1, volumes: 1, points: 3, skipped: [] });

    const catalog = new Catalog(path.join(fresh, 'catalog.db'));
    const store = new BlockStore(catalog, new LocalDirectoryBackend(path.join(fresh, 'store', 'packs')));
    store.attach(await Repository.open(dest, { passphrase: PASS, create: false }), path.join(fresh, 'cache'), 1 << 30);
    try {
      const pts = catalog.allPoints();
      expect(pts.map((p) => p.type)).toEqual(['full', 'incremental', 'incremental']);
      for (const [i, img] of [a, b, c].entries()) {
        const out = path.join(fresh, `r${i}.img`);
        await restoreVolume(store, pts[i]!.id, 'disk', out);
        expect(fs.readFileSync(out).equals(img)).toBe(true);
      }
    } finally {
      store.backend.close();
      catalog.close();
    }
  });

  it('makes files of an immutable directory copy read-only', async () => {
    const h = await encryptedHarness();
    await h.commitStored(textImage(h), h.all(), null);
    const copyDir = tempDir('drc-copy-');
    dirs.push(copyDir);
    await copyPoints(h.store, new LocalPackStore(copyDir), { name: 'vault', immutable: true, keep: 86_400 });
    const packs = fs.readdirSync(path.join(copyDir, 'packs'));
    expect(packs.length).toBeGreaterThan(0);
    for (const p of packs) expect(fs.statSync(path.join(copyDir, 'packs', p)).mode & 0o222).toBe(0);
    await expect(new LocalPackStore(copyDir).delete(`packs/${packs[0]!.replace(/\.pack$/, '')}`)).rejects.toThrow(/immutable/);
  });
});
