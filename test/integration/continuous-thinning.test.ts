// Thinning of a continuous host as its cycles commit, through a real hub (on a test clock moved
// a minute per cycle) and a real qemu-dirty-bitmap agent: after a quarter of an hour of cycles
// the catalog holds the last 10 minutes' points and one per hour, not every cycle, and the
// newest point still restores byte-identical to the export (the thinned deltas merged on).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { storageDaemonAvailable } from '../../agent/trackers/qemu-daemon.js';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { BS, exportSha, writeBlocks } from './qemu-support.js';
import { Cluster, points, restoredSha, waitFor } from './support.js';

const IMAGE_MIB = 8;
const CYCLES = 16;

describe.skipIf(!storageDaemonAvailable())('thinning of a continuous host after each cycle', () => {
  const c = new Cluster();
  let hub: HubProc;
  let disk: NbdClient;
  let socket: string;
  const clockFile = c.file('clock');

  beforeAll(async () => {
    fs.writeFileSync(clockFile, '0');
    fs.writeFileSync(c.file('drc.yaml'), ['hosts:', '  - { name: vm1, continuous: true, continuous_rpo: 3m, min_interval: 60s }', ''].join('\n'));
    process.env.DRC_TEST_CLOCK_FILE = clockFile;
    try {
      hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
    } finally {
      delete process.env.DRC_TEST_CLOCK_FILE;
    }
    const r = await hub.json<{ token: string }>(['hosts', 'add', 'vm1']);
    makeImage(c.file('vm1.img'), IMAGE_MIB);
    await c.startAgent(hub, 'vm1', r.token, { disk: c.file('vm1.img') }, ['--tracker', 'qemu-dirty-bitmap']);
    socket = path.join(c.dir, 'agent-vm1', 'qemu', 'disk.nbd');
    await waitFor('the agent-run NBD export', () => fs.existsSync(socket));
    disk = await NbdClient.connect({ path: socket }, 'disk');
  }, 60_000);

  afterAll(async () => {
    await disk?.close().catch(() => undefined);
    await c.stop();
  });

  it('keeps the last 10 minutes of cycles and one per hour, and the newest point restores byte-identical', async () => {
    await waitFor('the first (full) cycle', async () => (await points(hub, 'vm1')).length >= 1, 30_000);
    let offset = 0;
    let made = 1;
    for (let k = 0; k < CYCLES; k++) {
      await writeBlocks(disk, [(k * 5) % ((IMAGE_MIB << 20) / BS)]);
      const before = Math.max(...(await points(hub, 'vm1')).map((p) => p.id));
      offset += 60_000;
      fs.writeFileSync(clockFile, String(offset));
      await waitFor(`cycle ${k + 1}`, async () => Math.max(...(await points(hub, 'vm1')).map((p) => p.id)) > before, 30_000);
      made++;
    }
    const expected = await exportSha(socket, 'disk', c.file('snap.img'));
    // the thinning of the last cycle runs on the hub's next tick
    const kept = await waitFor('thinned points', async () => {
      const pts = await points(hub, 'vm1');
      return pts.length <= 13 && pts;
    }, 10_000);
    expect(made).toBe(CYCLES + 1);
    // 10 minutes of one-minute cycles (11 points at most), the newest of the hour slot(s) before them
    expect(kept.length).toBeGreaterThanOrEqual(11);
    const newest = kept.at(-1)!;
    expect(await restoredSha(hub, 'vm1', 'disk', newest.id, c.file('restored.img'))).toBe(expected);
  }, 180_000);
});
