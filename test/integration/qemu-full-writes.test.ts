// A full backup through the qemu-dirty-bitmap tracker while the disk is being written: of a
// raw image the tracker reads the image file directly where the guest did not write and the
// point-in-time view where it did (of a qcow2 image, the view alone), it reads nothing for the
// view's zero blocks (holes, some of them written meanwhile), and the point still holds the
// disk exactly as it was at the freeze, byte for byte.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { storageDaemonAvailable } from '../../agent/trackers/qemu-daemon.js';
import { makeImage, sha256File, type HubProc } from '../helpers/cluster.js';
import { BS, exportSha, writeBlocks } from './qemu-support.js';
import { Cluster, backupOk, restoredSha, waitFor } from './support.js';

const IMAGE_MIB = 64;
const BLOCKS = (IMAGE_MIB << 20) / BS;
/** blocks before this one may be written while the full runs */
const WRITTEN = (BLOCKS * 3) / 4;

interface ReleaseLine {
  point?: number;
  fileRanges?: number;
  viewRanges?: number;
  zeroBlocks?: number;
}

const suite = (format: 'raw' | 'qcow2') => describe.skipIf(!storageDaemonAvailable())(`full backup of a ${format} image through qemu-dirty-bitmap while the disk is written`, () => {
  const c = new Cluster();
  const pauseFile = c.file('pause');
  const image = c.file('vm1.img');
  const agentData = path.join(c.dir, 'agent-vm1');
  let hub: HubProc;
  let disk: NbdClient;

  beforeAll(async () => {
    process.env.DRC_TEST_PAUSE_AFTER_FREEZE = pauseFile; // inherited by the agent: pauses only while the file exists
    hub = await c.startHub();
    const token = await hub.addHost('vm1');
    makeImage(image, IMAGE_MIB);
    if (format === 'qcow2') {
      execFileSync('qemu-img', ['convert', '-O', 'qcow2', image, `${image}.qcow2`]);
      fs.renameSync(`${image}.qcow2`, image);
    }
    await c.startAgent(hub, 'vm1', token, { disk: image }, ['--tracker', 'qemu-dirty-bitmap']);
    const socket = path.join(agentData, 'qemu', 'disk.nbd');
    await waitFor('the agent-run NBD export', () => fs.existsSync(socket));
    disk = await NbdClient.connect({ path: socket }, 'disk');
  });

  afterAll(async () => {
    delete process.env.DRC_TEST_PAUSE_AFTER_FREEZE;
    await disk?.close().catch(() => undefined);
    await c.stop();
  });

  it('restores the disk as it was at the freeze though blocks were written before and while the full read them', async () => {
    fs.writeFileSync(pauseFile, 'armed\n');
    const running = backupOk(hub, 'vm1', true);
    let atFreeze: string;
    try {
      await waitFor('the agent to freeze the point in time', () => fs.readFileSync(pauseFile, 'utf8').startsWith('frozen'));
      atFreeze = format === 'raw' ? sha256File(image) : await exportSha(path.join(agentData, 'qemu', 'disk.nbd'), 'disk', c.file('at-freeze.img'));
      // written after the freeze and before any read: the file holds the new bytes, the view the old
      await writeBlocks(disk, Array.from({ length: BLOCKS / 32 }, (_, k) => k * 16 + 3));
    } finally {
      fs.rmSync(pauseFile, { force: true });
    }
    // and while the full reads: rewrite blocks across the first three quarters until the job ends
    // (the last quarter is not written: read from the file)
    let ended = false;
    let writes = 0;
    const writer = (async () => {
      for (let k = 0; !ended; k++) {
        await writeBlocks(disk, [(k * 37 + 5) % WRITTEN, (k * 101 + 9) % WRITTEN]);
        writes++;
      }
    })();
    const job = await running.finally(() => (ended = true));
    await writer;
    expect(writes).toBeGreaterThan(0);
    if (format === 'raw') expect(sha256File(image)).not.toBe(atFreeze);
    expect(await restoredSha(hub, 'vm1', 'disk', job.pointIds[0]!, c.file('restored.img'))).toBe(atFreeze);

    const released = await waitFor('the agent to log the released view', () =>
      fs.readFileSync(path.join(agentData, 'agent.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ReleaseLine).find((l) => l.point === job.pointIds[0] && l.viewRanges !== undefined),
    );
    // the ranges written to came through the view, some others straight from a raw file
    expect(released.viewRanges).toBeGreaterThan(0);
    if (format === 'raw') expect(released.fileRanges).toBeGreaterThan(0);
    else expect(released.fileRanges).toBe(0);
    // the image's holes (one MiB in eight) were not read, written to meanwhile or not
    expect(released.zeroBlocks).toBeGreaterThan(0);
  });
});

suite('raw');
suite('qcow2');
