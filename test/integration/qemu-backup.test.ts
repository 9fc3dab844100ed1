// `drc agent --tracker qemu-dirty-bitmap` with the daemon the agent runs itself, against a
// real hub: incrementals move exactly the blocks written through the NBD export and read
// nothing else, writes during a backup land in the next point, every point restores
// byte-identical, and a killed agent leaves no daemon behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { storageDaemonAvailable } from '../../agent/trackers/qemu-daemon.js';
import { FRAME_HEADER_BYTES } from '../../src/protocol/frames.js';
import { makeImage, type AgentProc, type HubProc } from '../helpers/cluster.js';
import { BS, agentJobLog, daemonsUnder, exportSha, manifestBlocks, writeBlocks } from './qemu-support.js';
import { Cluster, backupOk, points, restoredSha, waitFor } from './support.js';

const IMAGE_MIB = 32;
const BLOCKS = (IMAGE_MIB << 20) / BS;

describe.skipIf(!storageDaemonAvailable())('qemu-dirty-bitmap tracker through a real hub and agent', () => {
  const c = new Cluster();
  const pauseFile = c.file('pause');
  let hub: HubProc;
  let agent: AgentProc;
  let disk: NbdClient;
  let socket: string;
  const agentData = path.join(c.dir, 'agent-vm1');
  /** sha256 of the export when each point was taken */
  const shaAt = new Map<number, string>();
  const snapshot = () => exportSha(socket, 'disk', c.file('snap.img'));

  beforeAll(async () => {
    process.env.DRC_TEST_PAUSE_AFTER_FREEZE = pauseFile; // inherited by the agent: pauses only while the file exists
    hub = await c.startHub();
    const token = await hub.addHost('vm1');
    const image = c.file('vm1.img');
    makeImage(image, IMAGE_MIB);
    agent = await c.startAgent(hub, 'vm1', token, { disk: image }, ['--tracker', 'qemu-dirty-bitmap']);
    socket = path.join(agentData, 'qemu', 'disk.nbd');
    await waitFor('the agent-run NBD export', () => fs.existsSync(socket));
    disk = await NbdClient.connect({ path: socket }, 'disk');
  });

  afterAll(async () => {
    await disk?.close().catch(() => undefined);
    await c.stop();
  });

  it('takes a full backup of every block through the point-in-time view', async () => {
    const before = await snapshot();
    const job = await backupOk(hub, 'vm1');
    const [p] = await points(hub, 'vm1');
    expect(p).toMatchObject({ id: job.pointIds[0], type: 'full', changedBlocks: BLOCKS, size: IMAGE_MIB << 20 });
    shaAt.set(p!.id, before);
  });

  it('moves exactly the blocks written through the export and reads only those', async () => {
    const written = [0, 1, 7, 100, 101, 102, 400, BLOCKS - 1];
    await writeBlocks(disk, written);
    const expected = await snapshot();
    const job = await backupOk(hub, 'vm1');
    const pointId = job.pointIds[0]!;
    shaAt.set(pointId, expected);
    const p = (await points(hub, 'vm1')).find((x) => x.id === pointId);
    expect(p).toMatchObject({ type: 'incremental', changedBlocks: written.length });
    expect(manifestBlocks(hub.dataDir, pointId)).toEqual(written);
    expect(await agentJobLog(agentData, job.id)).toMatchObject({ changed: written.length, bytesRead: written.length * BS });
    expect(job.bytesWire).toBeGreaterThanOrEqual(written.length * BS);
    expect(job.bytesWire).toBeLessThanOrEqual(written.length * (BS + FRAME_HEADER_BYTES));
  });

  it('puts writes made while the backup runs into the next point, not this one', async () => {
    const before = [33, 34];
    const during = [34, 35, 500];
    await writeBlocks(disk, before);
    const atFreeze = await snapshot();
    fs.writeFileSync(pauseFile, 'armed\n');
    const running = backupOk(hub, 'vm1');
    let afterWrites: string;
    try {
      await waitFor('the agent to freeze the point in time', () => fs.readFileSync(pauseFile, 'utf8').startsWith('frozen'));
      await writeBlocks(disk, during);
      afterWrites = await snapshot();
    } finally {
      fs.rmSync(pauseFile, { force: true });
    }
    const job = await running;
    shaAt.set(job.pointIds[0]!, atFreeze);
    expect(manifestBlocks(hub.dataDir, job.pointIds[0]!)).toEqual(before);

    const next = await backupOk(hub, 'vm1');
    shaAt.set(next.pointIds[0]!, afterWrites);
    expect(manifestBlocks(hub.dataDir, next.pointIds[0]!)).toEqual(during);
    expect((await agentJobLog(agentData, next.id)).bytesRead).toBe(during.length * BS);
  });

  it('records an empty point and reads nothing when nothing was written', async () => {
    const job = await backupOk(hub, 'vm1');
    shaAt.set(job.pointIds[0]!, await snapshot());
    expect(manifestBlocks(hub.dataDir, job.pointIds[0]!)).toEqual([]);
    expect((await agentJobLog(agentData, job.id)).bytesRead).toBe(0);
    expect(job.bytesWire).toBe(0);
  });

  it('restores every point byte-identical to the export as it was at that point', async () => {
    const all = await points(hub, 'vm1');
    expect(all).toHaveLength(5);
    expect(new Set(all.map((p) => shaAt.get(p.id))).size).toBe(4);
    for (const p of all) expect(await restoredSha(hub, 'vm1', 'disk', p.id, c.file(`r-${p.id}.img`)), `point ${p.id}`).toBe(shaAt.get(p.id));
  });

  it('leaves no qemu-storage-daemon running after the agent is killed', async () => {
    expect(daemonsUnder(agentData)).toHaveLength(1);
    await disk.close();
    await agent.stop('SIGKILL');
    await waitFor('the daemon to stop with its agent', () => daemonsUnder(agentData).length === 0, 10_000);
  });
});
