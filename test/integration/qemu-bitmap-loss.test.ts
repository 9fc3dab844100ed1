// The qemu-dirty-bitmap tracker attached to a qemu-storage-daemon it does not own (--qmp,
// --nbd): a daemon restarted without its bitmap (raw image) or with an inconsistent one
// (qcow2 after a crash) raises `bitmap.invalidated`, the next backup reads the whole volume
// once and still moves only what changed, and the bitmap takes over again afterwards; a
// clean restart keeps a qcow2's persistent bitmap and needs no full scan.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { StorageDaemon, storageDaemonAvailable, type ImageFormat } from '../../agent/trackers/qemu-daemon.js';
import type { HubProc } from '../helpers/cluster.js';
import { BS, agentJobLog, allocatedBytes, daemonsUnder, exportSha, hubEvents, manifestBlocks, writeBlocks } from './qemu-support.js';
import { Cluster, backupOk, points, restoredSha, waitFor } from './support.js';

const MIB = 16;
const SIZE = MIB << 20;

function suite(format: ImageFormat): void {
  describe.skipIf(!storageDaemonAvailable())(`a ${format} image on a daemon the agent does not own`, () => {
    const c = new Cluster();
    const qsdDir = path.join(c.dir, 'qsd');
    const image = c.file(`vm.${format}`);
    const agentData = path.join(c.dir, 'agent-vm2');
    let hub: HubProc;
    let daemon: StorageDaemon;
    let disk: NbdClient;
    const shaAt = new Map<number, string>();
    const snapshot = () => exportSha(daemon.nbdPath, 'disk', c.file('snap.img'));

    const startDaemon = async () => {
      daemon = await StorageDaemon.start({ image, dir: qsdDir, exportName: 'disk', format });
      disk = await NbdClient.connect({ path: daemon.nbdPath }, 'disk');
    };
    const backup = async () => {
      const job = await backupOk(hub, 'vm2');
      return { job, pointId: job.pointIds[0]!, log: await agentJobLog(agentData, job.id) };
    };

    beforeAll(async () => {
      if (format === 'qcow2') execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, String(SIZE)]);
      else fs.writeFileSync(image, randomBytes(SIZE));
      await startDaemon();
      if (format === 'qcow2') await writeBlocks(disk, Array.from({ length: 64 }, (_, i) => i * 3));
      hub = await c.startHub();
      const token = await hub.addHost('vm2');
      await c.startAgent(hub, 'vm2', token, { disk: image }, ['--tracker', 'qemu-dirty-bitmap', '--qmp', daemon.qmpPath, '--nbd', daemon.nbdPath]);
      const full = await backup();
      shaAt.set(full.pointId, await snapshot());
    });

    afterAll(async () => {
      await disk?.close().catch(() => undefined);
      await daemon?.stop();
      await c.stop();
    });

    it('reads only the blocks written since the last point', async () => {
      await writeBlocks(disk, [5, 6, 200]);
      const { pointId, log } = await backup();
      shaAt.set(pointId, await snapshot());
      expect(manifestBlocks(hub.dataDir, pointId)).toEqual([5, 6, 200]);
      expect(log.bytesRead).toBe(3 * BS);
    });

    if (format === 'qcow2') {
      it('keeps using the persistent bitmap after a clean daemon restart', async () => {
        await disk.close();
        await daemon.stop();
        await startDaemon();
        await writeBlocks(disk, [9]);
        const { pointId, log } = await backup();
        shaAt.set(pointId, await snapshot());
        expect(manifestBlocks(hub.dataDir, pointId)).toEqual([9]);
        expect(log.bytesRead).toBe(BS);
        expect(hubEvents(hub.dataDir, 'bitmap.invalidated')).toEqual([]);
      });
    }

    it('raises bitmap.invalidated and scans the whole volume once when the daemon comes back without a usable bitmap', async () => {
      await writeBlocks(disk, [40]);
      await disk.close();
      if (format === 'qcow2') {
        // a clean restart writes the bitmap into the image; a crash after it has been loaded leaves it marked in use
        await daemon.stop();
        await startDaemon();
        await disk.close();
        for (const pid of daemonsUnder(qsdDir)) process.kill(pid, 'SIGKILL');
        await waitFor('the daemon to die', () => daemonsUnder(qsdDir).length === 0);
      }
      await daemon.stop();
      if (format === 'raw') {
        // while no daemon runs, nothing tracks writes: only a full scan can see this one
        const fd = fs.openSync(image, 'r+');
        fs.writeSync(fd, randomBytes(BS), 0, BS, 70 * BS);
        fs.closeSync(fd);
      }
      await startDaemon();
      await writeBlocks(disk, [41]);
      const allocated = await allocatedBytes(daemon.nbdPath, 'disk');
      const { pointId, log } = await backup();
      shaAt.set(pointId, await snapshot());
      const events = hubEvents(hub.dataDir, 'bitmap.invalidated');
      expect(events).toHaveLength(1);
      expect(events[0]!.host).toBe('vm2');
      expect(events[0]!.message).toMatch(format === 'raw' ? /volume disk: dirty bitmap \S+ is gone/ : /volume disk: dirty bitmap \S+ is inconsistent/);
      expect(log.bytesRead).toBe(allocated); // every block that holds data, once (holes are known zero)
      if (format === 'raw') expect(allocated).toBe(SIZE);
      expect(manifestBlocks(hub.dataDir, pointId)).toEqual(format === 'raw' ? [40, 41, 70] : [40, 41]);
      expect((await points(hub, 'vm2')).find((p) => p.id === pointId)?.type).toBe('incremental');
    });

    it('is back on the re-armed bitmap for the backup after the fallback', async () => {
      await writeBlocks(disk, [100, 101]);
      const { pointId, log } = await backup();
      shaAt.set(pointId, await snapshot());
      expect(manifestBlocks(hub.dataDir, pointId)).toEqual([100, 101]);
      expect(log.bytesRead).toBe(2 * BS);
      expect(hubEvents(hub.dataDir, 'bitmap.invalidated')).toHaveLength(1);
    });

    it('restores every point byte-identical to the export as it was at that point', async () => {
      const all = await points(hub, 'vm2');
      expect(all.length).toBe(shaAt.size);
      for (const p of all) expect(await restoredSha(hub, 'vm2', 'disk', p.id, c.file(`r-${p.id}.img`)), `point ${p.id}`).toBe(shaAt.get(p.id));
    });
  });
}

suite('raw');
suite('qcow2');
