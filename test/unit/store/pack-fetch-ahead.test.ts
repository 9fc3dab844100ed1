// Fetch-ahead of whole packs from an S3 store (the strict in-process server) into the pack
// cache: the next packs download before the reader reaches them, each once, and nothing stays
// pinned in the cache after the reads.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackCache } from '../../../src/store/pack-cache.js';
import { fetchAhead } from '../../../src/store/pack-fetch-ahead.js';
import { OBJECT } from '../../../src/store/pack-store.js';
import type { PlannedExtent } from '../../../src/store/read-plan.js';
import { S3PackStore } from '../../../src/store/s3-pack-store.js';
import { tempDir, waitFor } from '../../helpers/cluster.js';
import { S3RVER_KEY, StrictS3Server } from '../../helpers/s3-servers.js';

const dir = tempDir('drc-fetch-ahead-');
const server = new StrictS3Server();
let store: S3PackStore;
const PACKS = 12;
const bytes = new Map<string, Buffer>();

beforeAll(async () => {
  await server.start();
  store = new S3PackStore({ endpoint: server.endpoint, bucket: 'drc', prefix: 'r/', region: 'us-east-1', pathStyle: true, credentialsFile: null }, { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY });
  for (let i = 0; i < PACKS; i++) {
    const name = `p${String(i).padStart(2, '0')}`;
    bytes.set(name, randomBytes(256 << 10));
    await store.put(OBJECT.pack(name), bytes.get(name)!);
  }
});

afterAll(async () => {
  store.close();
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** two extents per pack, packs in order */
function plan(): () => Promise<PlannedExtent | null> {
  const xs: PlannedExtent[] = [...bytes.keys()].flatMap((packName) => [0, 1].map((k) => ({ packName, offset: k * 1000, length: 1000, rawBytes: 1000, chunks: [] })));
  return async () => xs.shift() ?? null;
}

describe('fetching packs ahead of a restore', () => {
  it('downloads the next packs before the reader reaches them, each once, and unpins them after', async () => {
    const cache = new PackCache(store, path.join(dir, 'cache'), 1 << 30);
    const ahead = fetchAhead(plan(), cache, { packs: 4 });
    const first = await ahead.next();
    expect(first!.packName).toBe('p00');
    // the reader has not asked for any pack yet: the next ones are already on their way
    await waitFor('4 packs cached ahead', () => cache.packCount >= 4);
    const seen: string[] = [first!.packName];
    for (let x = await ahead.next(); x; x = await ahead.next()) {
      const file = await cache.acquire(x.packName);
      expect(fs.readFileSync(file).equals(bytes.get(x.packName)!)).toBe(true);
      cache.release(x.packName);
      seen.push(x.packName);
    }
    ahead.close();
    expect(seen).toEqual([...bytes.keys()].flatMap((n) => [n, n]));
    expect(cache.misses).toBe(PACKS);
    await new Promise((r) => setImmediate(r));
    cache.clear();
    expect(cache.packCount).toBe(0);
  });

  it('releases what it fetched when the reads stop early', async () => {
    const cache = new PackCache(store, path.join(dir, 'cache2'), 1 << 30);
    const ahead = fetchAhead(plan(), cache, { packs: 6 });
    await ahead.next();
    await waitFor('6 packs cached ahead', () => cache.packCount >= 6);
    ahead.close();
    expect(await ahead.next()).toBeNull();
    await new Promise((r) => setImmediate(r));
    cache.clear();
    expect(cache.packCount).toBe(0);
  });
});

describe('the pack cache at its bounds', () => {
  it('hands a reader the pack it downloaded even when the cache is smaller than one pack', async () => {
    const cache = new PackCache(store, path.join(dir, 'tiny'), 64 << 10);
    for (const name of ['p00', 'p01', 'p00']) {
      const file = await cache.acquire(name);
      expect(fs.readFileSync(file).equals(bytes.get(name)!)).toBe(true);
      cache.release(name);
    }
    // and several readers of packs downloading at once, each pack over the bound
    const files = await Promise.all(['p02', 'p03', 'p02', 'p04'].map(async (name) => [name, await cache.acquire(name)] as const));
    for (const [name, file] of files) expect(fs.readFileSync(file).equals(bytes.get(name)!)).toBe(true);
    for (const [name] of files) cache.release(name);
    expect(cache.usedBytes).toBeLessThanOrEqual(64 << 10);
  });

  it('downloads again a cached pack whose file was removed behind its back', async () => {
    const cache = new PackCache(store, path.join(dir, 'cleaned'), 1 << 30);
    const file = await cache.acquire('p05');
    cache.release('p05');
    fs.rmSync(path.join(dir, 'cleaned'), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'cleaned'));
    const again = await cache.acquire('p05');
    expect(again).toBe(file);
    expect(fs.readFileSync(again).equals(bytes.get('p05')!)).toBe(true);
    expect(cache.misses).toBe(2);
    cache.release('p05');
  });
});
