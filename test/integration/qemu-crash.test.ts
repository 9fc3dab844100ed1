// An agent killed between the freeze and the commit of a qemu-dirty-bitmap backup: the
// restarted agent cleans the point-in-time view up, folds the bitmap the dead job started
// into the one it froze, and the next incremental moves every write since the last
// committed point, without a full scan.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { StorageDaemon, storageDaemonAvailable } from '../../agent/trackers/qemu-daemon.js';
import type { AgentProc, HubProc } from '../helpers/cluster.js';
import { BS, agentJobLog, exportSha, hubEvents, manifestBlocks, writeBlocks } from './qemu-support.js';
import { Cluster, backup, backupOk, points, randomImage, restoredSha, waitFor } from './support.js';

describe.skipIf(!storageDaemonAvailable())('an agent killed in the middle of a dirty-bitmap backup', () => {
  const c = new Cluster();
  const pauseFile = c.file('pause');
  const image = c.file('vm3.img');
  const agentData = path.join(c.dir, 'agent-vm3');
  let hub: HubProc;
  let daemon: StorageDaemon;
  let disk: NbdClient;
  let token: string;
  let agent: AgentProc;
  const shaAt = new Map<number, string>();
  const args = () => ['--tracker', 'qemu-dirty-bitmap', '--qmp', daemon.qmpPath, '--nbd', daemon.nbdPath];

  beforeAll(async () => {
    process.env.DRC_TEST_PAUSE_AFTER_FREEZE = pauseFile;
    randomImage(image, 16);
    daemon = await StorageDaemon.start({ image, dir: path.join(c.dir, 'qsd'), exportName: 'disk' });
    disk = await NbdClient.connect({ path: daemon.nbdPath }, 'disk');
    hub = await c.startHub();
    token = await hub.addHost('vm3');
    agent = await c.startAgent(hub, 'vm3', token, { disk: image }, args());
    const full = await backupOk(hub, 'vm3');
    shaAt.set(full.pointIds[0]!, await exportSha(daemon.nbdPath, 'disk', c.file('snap.img')));
  });

  afterAll(async () => {
    fs.rmSync(pauseFile, { force: true });
    await disk?.close().catch(() => undefined);
    await daemon?.stop();
    await c.stop();
  });

  it('fails the interrupted job and leaves no recovery point for it', async () => {
    await writeBlocks(disk, [10, 11]);
    fs.writeFileSync(pauseFile, 'armed\n');
    const interrupted = backup(hub, 'vm3');
    await waitFor('the freeze', () => fs.readFileSync(pauseFile, 'utf8').startsWith('frozen'));
    await writeBlocks(disk, [12]); // recorded by the bitmap the dying job started
    await agent.stop('SIGKILL');
    fs.rmSync(pauseFile);
    expect((await interrupted).state).toBe('failed');
    expect(await points(hub, 'vm3')).toHaveLength(1);
  });

  it('moves every write since the last committed point after the restart, reading only those blocks', async () => {
    agent = await c.startAgent(hub, 'vm3', token, { disk: image }, args());
    await writeBlocks(disk, [13]);
    const job = await backupOk(hub, 'vm3');
    shaAt.set(job.pointIds[0]!, await exportSha(daemon.nbdPath, 'disk', c.file('snap.img')));
    expect(manifestBlocks(hub.dataDir, job.pointIds[0]!)).toEqual([10, 11, 12, 13]);
    expect((await agentJobLog(agentData, job.id)).bytesRead).toBe(4 * BS);
    expect(hubEvents(hub.dataDir, 'bitmap.invalidated')).toEqual([]);
  });

  it('leaves no point-in-time export behind on the daemon', async () => {
    await expect(NbdClient.connect({ path: daemon.nbdPath }, 'drc-fleece-disk')).rejects.toThrow(/no such export/);
  });

  it('restores every point byte-identical', async () => {
    for (const p of await points(hub, 'vm3')) expect(await restoredSha(hub, 'vm3', 'disk', p.id, c.file(`r-${p.id}.img`))).toBe(shaAt.get(p.id));
  });
});
