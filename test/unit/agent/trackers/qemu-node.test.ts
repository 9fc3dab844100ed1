// Finding a volume's block node on a qemu-storage-daemon the agent does not own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient } from '../../../../agent/qmp/client.js';
import { MANAGED_NODE, StorageDaemon, storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';
import { findVolumeNode } from '../../../../agent/trackers/qemu-fleece.js';

describe.skipIf(!storageDaemonAvailable())('the block node of a volume', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-node-'));
  const image = path.join(dir, 'disk.img');
  let daemon: StorageDaemon;
  let qmp: QmpClient;

  beforeAll(async () => {
    fs.writeFileSync(image, Buffer.alloc(1 << 20));
    daemon = await StorageDaemon.start({ image, dir, exportName: 'disk' });
    qmp = await QmpClient.connect(daemon.qmpPath);
  });

  afterAll(async () => {
    await qmp?.close();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is the node behind the export named like the volume, or behind the only export', async () => {
    expect(await findVolumeNode(qmp, 'disk', '/elsewhere.img')).toBe(MANAGED_NODE);
    expect(await findVolumeNode(qmp, 'vm', '/elsewhere.img')).toBe(MANAGED_NODE);
  });

  it('is the format node of the image file when several exports name none', async () => {
    await qmp.execute('blockdev-add', { driver: 'null-co', 'node-name': 'other', size: 1 << 20 });
    await qmp.execute('block-export-add', { type: 'nbd', id: 'other', 'node-name': 'other', name: 'other', writable: false });
    expect(await findVolumeNode(qmp, 'vm', image)).toBe(MANAGED_NODE);
    expect(await findVolumeNode(qmp, 'other', image)).toBe('other');
  });

  it('is a one-line error naming the volume and the image when nothing matches', async () => {
    await expect(findVolumeNode(qmp, 'vm', '/nope.img')).rejects.toThrow(/^QMP query-named-block-nodes: no block node for volume vm \(image \/nope\.img\) on .*disk\.qmp$/);
  });
});
