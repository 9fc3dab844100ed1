// A copy keeps points by its own keep rules: a real directory copy, pruned by a run, still
// restores what it keeps; an immutable copy keeps what it retains until the retention ends.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import type { CopyConfig, RetentionConfig } from '../../../src/config/types.js';
import { HubCopies } from '../../../src/hub/copies.js';
import { LocalDirectoryBackend } from '../../../src/store/backend.js';
import { BlockStore } from '../../../src/store/block-store.js';
import { LocalPackStore } from '../../../src/store/local-pack-store.js';
import { recoverCatalog } from '../../../src/store/recover.js';
import { Repository } from '../../../src/store/repository.js';
import { restoreVolume } from '../../../src/store/restore.js';
import { tempDir } from '../../helpers/cluster.js';
import { StoreHarness } from '../store/harness.js';
import { ManualClock, RecordingJournal } from './fake-ports.js';

let h: StoreHarness | null = null;
const dirs: string[] = [];
afterEach(() => {
  h?.close();
  h = null;
  for (const d of dirs.splice(0)) {
    // an immutable copy's files are read-only
    for (const e of fs.readdirSync(d, { recursive: true, withFileTypes: true })) if (e.isFile()) fs.chmodSync(path.join(e.parentPath, e.name), 0o644);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

const rules = (r: Partial<RetentionConfig>): RetentionConfig => ({ keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: null, ...r });

function copy(dir: string, keepRules: RetentionConfig | null, immutable = false, keep: number | null = null): CopyConfig {
  return { name: 'offline', type: 'directory', path: dir, cron: null, timezone: 'UTC', window: null, immutable, keep, keepRules, rpo: null };
}

async function setUp() {
  h = new StoreHarness();
  h.store.attach(await Repository.open(new LocalPackStore(h.dir), { passphrase: null, create: true }), path.join(h.dir, 'cache'), 1 << 30);
  const dir = tempDir('drc-copy-');
  dirs.push(dir);
  const clock = new ManualClock(Date.parse('2025-06-02T00:00:00Z'));
  const journal = new RecordingJournal(clock);
  const copies = (c: CopyConfig) => {
    const hc = new HubCopies({ catalog: h!.catalog, store: h!.store, now: clock.now, event: (...a) => journal.event(...a) }, [c]);
    hc.start();
    return hc;
  };
  return { harness: h, dir, clock, journal, copies };
}

/** p1 full; p2 and p3 rewrite blocks 1 and 7; p4 rewrites block 3: p2's new chunks are needed by p2 alone. */
async function fourPoints(harness: StoreHarness): Promise<{ ids: number[]; images: Buffer[] }> {
  const a = harness.image();
  const p1 = await harness.commitStored(a, harness.all(), null);
  const b = harness.changed(a, [1, 7]);
  const p2 = await harness.commitStored(b, [1, 7], p1);
  const c = harness.changed(b, [1, 7]);
  const p3 = await harness.commitStored(c, [1, 7], p2);
  const d = harness.changed(c, [3]);
  const p4 = await harness.commitStored(d, [3], p3);
  return { ids: [p1, p2, p3, p4], images: [a, b, c, d] };
}

const objects = (dir: string, sub: 'packs' | 'points') => fs.readdirSync(path.join(dir, sub)).sort();

/** Rebuild a catalog from the copy alone and restore each of its points. */
async function restoredFromCopy(dir: string): Promise<Buffer[]> {
  const fresh = tempDir('drc-recovered-');
  dirs.push(fresh);
  const dest = new LocalPackStore(path.join(fresh, 'store'));
  await recoverCatalog(new LocalPackStore(dir), dest, path.join(fresh, 'catalog.db'), { passphrase: null });
  const catalog = new Catalog(path.join(fresh, 'catalog.db'));
  const store = new BlockStore(catalog, new LocalDirectoryBackend(path.join(fresh, 'store', 'packs')));
  store.attach(await Repository.open(dest, { passphrase: null, create: false }), path.join(fresh, 'cache'), 1 << 30);
  try {
    const out: Buffer[] = [];
    for (const p of catalog.allPoints()) {
      const file = path.join(fresh, `r${p.id}.img`);
      await restoreVolume(store, p.id, 'disk', file);
      out.push(fs.readFileSync(file));
    }
    return out;
  } finally {
    store.backend.close();
    catalog.close();
  }
}

describe('a copy with keep rules', () => {
  it('prunes the points its rules let go and the packs only they needed; what it keeps restores byte-identical', async () => {
    const { harness, dir, copies } = await setUp();
    const { images } = await fourPoints(harness);
    expect(await copies(copy(dir, null)).run('offline', 'test').done).toMatchObject({ state: 'succeeded', points: 4, pruned: 0 });
    const packsBefore = objects(dir, 'packs');
    expect(objects(dir, 'points')).toHaveLength(4);

    const r = await copies(copy(dir, rules({ keepLast: 2 }))).run('offline', 'test').done;
    expect(r).toMatchObject({ state: 'succeeded', points: 0, pruned: 2, note: null });
    expect(objects(dir, 'points')).toHaveLength(2);
    // p1's pack stays (p3 and p4 still read most of their blocks from it); p2's is gone
    const packsAfter = objects(dir, 'packs');
    expect(packsAfter.length).toBe(packsBefore.length - 1);
    expect(packsAfter.every((p) => packsBefore.includes(p))).toBe(true);
    const restored = await restoredFromCopy(dir);
    expect(restored.map((b) => b.equals(images[2]!) || b.equals(images[3]!))).toEqual([true, true]);
    expect(restored[0]!.equals(restored[1]!)).toBe(false);
  });

  it('does not copy the points its rules let go, counts no lag for them, and never copies them later', async () => {
    const { harness, dir, copies } = await setUp();
    await fourPoints(harness);
    const hc = copies(copy(dir, rules({ keepLast: 1 })));
    expect(await hc.run('offline', 'test').done).toMatchObject({ state: 'succeeded', points: 1 });
    expect(objects(dir, 'points')).toHaveLength(1);
    expect(hc.views()[0]).toMatchObject({ pointsHeld: 1, lagSeconds: 0 });
    expect(await hc.run('offline', 'test').done).toMatchObject({ points: 0, pruned: 0 });
  });

  it('keeps points taken within its keep time, and the newest one always', async () => {
    const { harness, dir, clock, copies } = await setUp();
    await fourPoints(harness); // taken 01:00..04:00 on 2025-06-01
    clock.set('2025-06-01T05:30:00Z');
    expect(await copies(copy(dir, null, false, 3 * 3600)).run('offline', 'test').done).toMatchObject({ points: 2 });
    clock.set('2025-06-09T00:00:00Z');
    expect(await copies(copy(dir, null, false, 3 * 3600)).run('offline', 'test').done).toMatchObject({ pruned: 1 });
    expect(objects(dir, 'points')).toHaveLength(1);
  });
});

describe('an immutable copy with keep rules', () => {
  it('leaves points past keep in place until their retention ends, says so, and prunes them after', async () => {
    const { harness, dir, clock, copies, journal } = await setUp();
    const a = harness.image();
    const p1 = await harness.commitStored(a, harness.all(), null);
    const vault = copy(dir, rules({ keepLast: 1, daily: 1 }), true); // locked for one day
    expect(await copies(vault).run('offline', 'test').done).toMatchObject({ points: 1 });
    await harness.commitStored(harness.changed(a, harness.all()), harness.all(), p1);

    clock.set('2025-06-02T12:00:00Z');
    const r = await copies(vault).run('offline', 'test').done;
    expect(r).toMatchObject({ state: 'succeeded', points: 1, pruned: 0 });
    expect(r.note).toBe('1 point(s) past keep stay until their retention ends (the first on 2025-06-03T00:00:00.000Z)');
    expect(objects(dir, 'points')).toHaveLength(2);
    expect(journal.events.at(-1)!.message).toContain('stay until their retention ends');

    clock.set('2025-06-03T00:00:01Z');
    expect(await copies(vault).run('offline', 'test').done).toMatchObject({ state: 'succeeded', pruned: 1, note: null });
    expect(objects(dir, 'points')).toHaveLength(1);
  });
});
