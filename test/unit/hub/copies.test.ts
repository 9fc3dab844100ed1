// Copies run by their cron inside their window, on a clock moved by hand; a copy behind its
// RPO raises one event.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CopyConfig } from '../../../src/config/types.js';
import { HubCopies } from '../../../src/hub/copies.js';
import { LocalPackStore } from '../../../src/store/local-pack-store.js';
import { Repository } from '../../../src/store/repository.js';
import { tempDir, waitFor } from '../../helpers/cluster.js';
import { StoreHarness } from '../store/harness.js';
import { ManualClock, RecordingJournal } from './fake-ports.js';

let h: StoreHarness | null = null;
const dirs: string[] = [];
afterEach(() => {
  h?.close();
  h = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function copyDir(): string {
  const d = tempDir('drc-copy-');
  dirs.push(d);
  return d;
}

function copy(name: string, dir: string, window: [number, number] | null, rpo: number | null = null): CopyConfig {
  return {
    name,
    type: 'directory',
    path: dir,
    cron: '0 3 * * *',
    timezone: 'UTC',
    window: window && { text: 'w', startMinute: window[0], endMinute: window[1] },
    immutable: false,
    keep: null,
    keepRules: null,
    rpo,
  };
}

async function setUp(copies: CopyConfig[]) {
  h = new StoreHarness();
  h.store.attach(await Repository.open(new LocalPackStore(h.dir), { passphrase: null, create: true }), path.join(h.dir, 'cache'), 1 << 30);
  await h.commitStored(h.image(), h.all(), null); // taken at 01:00 UTC
  const clock = new ManualClock(Date.parse('2025-06-01T02:59:00Z'));
  const journal = new RecordingJournal(clock);
  const hc = new HubCopies({ catalog: h.catalog, store: h.store, now: clock.now, event: (...a) => journal.event(...a) }, copies);
  hc.start();
  return { hc, clock, journal, harness: h };
}

const lastState = (hc: HubCopies, name: string) => hc.views().find((v) => v.name === name)?.lastRun?.state;

describe('scheduled copies', () => {
  it('run at their cron time, and hold every point afterwards', async () => {
    const dir = copyDir();
    const { hc, clock } = await setUp([copy('offline', dir, null)]);
    hc.tick();
    expect(lastState(hc, 'offline')).toBeUndefined();
    clock.set('2025-06-01T03:00:00Z');
    hc.tick();
    await waitFor('the copy run', () => lastState(hc, 'offline') === 'succeeded');
    const v = hc.views()[0]!;
    expect(v).toMatchObject({ pointsHeld: 1, pointsTotal: 1, lagSeconds: 0, next: '2025-06-02T03:00:00.000Z' });
  });

  it('wait for their window to open', async () => {
    const dir = copyDir();
    const { hc, clock } = await setUp([copy('night', dir, [4 * 60, 5 * 60])]);
    clock.set('2025-06-01T03:00:00Z');
    hc.tick();
    clock.set('2025-06-01T03:59:00Z');
    hc.tick();
    expect(lastState(hc, 'night')).toBeUndefined();
    clock.set('2025-06-01T04:00:00Z');
    hc.tick();
    await waitFor('the copy run', () => lastState(hc, 'night') === 'succeeded');
  });

  it('raise one copy.behind event when the oldest uncopied point is older than the RPO', async () => {
    const dir = copyDir();
    const { hc, clock, journal } = await setUp([copy('offsite', dir, [0, 60], 3600)]);
    clock.set('2025-06-01T01:59:00Z');
    hc.tick();
    expect(journal.events.filter((e) => e.kind === 'copy.behind')).toEqual([]);
    clock.set('2025-06-01T02:30:00Z');
    hc.tick();
    hc.tick();
    expect(journal.events.filter((e) => e.kind === 'copy.behind')).toEqual([expect.objectContaining({ level: 'warning', message: 'copy offsite is 5400 s behind (RPO 3600 s)' })]);
  });
});
