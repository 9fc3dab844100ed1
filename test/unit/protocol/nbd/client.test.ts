// The NBD client against a real qemu-storage-daemon: handshake, structured replies, meta
// contexts (base:allocation, qemu:dirty-bitmap), block status, read, write, errors.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdClient, NbdError, parseNbdAddress } from '../../../../src/protocol/nbd/client.js';
import { STATE_DIRTY, STATE_HOLE, STATE_ZERO } from '../../../../src/protocol/nbd/protocol.js';
import { QmpClient } from '../../../../agent/qmp/client.js';
import { MANAGED_NODE, StorageDaemon, storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';

const MIB = 1 << 20;
const SIZE = 64 * MIB;

describe('NBD addresses', () => {
  it('reads socket paths and HOST:PORT, and rejects anything else with one line', () => {
    expect(parseNbdAddress('/run/vm.nbd')).toEqual({ path: '/run/vm.nbd' });
    expect(parseNbdAddress('unix:/run/vm.nbd')).toEqual({ path: '/run/vm.nbd' });
    expect(parseNbdAddress('127.0.0.1:10809')).toEqual({ host: '127.0.0.1', port: 10809 });
    expect(parseNbdAddress('[::1]:10809')).toEqual({ host: '::1', port: 10809 });
    expect(() => parseNbdAddress('vm-disk')).toThrow('NBD address "vm-disk": expected a socket path or HOST:PORT');
  });
});

describe.skipIf(!storageDaemonAvailable())('NBD client against qemu-storage-daemon', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-nbd-'));
  const image = path.join(dir, 'disk.img');
  let daemon: StorageDaemon;
  let qmp: QmpClient;
  let disk: NbdClient;

  beforeAll(async () => {
    fs.writeFileSync(image, '');
    fs.truncateSync(image, SIZE);
    daemon = await StorageDaemon.start({ image, dir, exportName: 'disk' });
    qmp = await QmpClient.connect(daemon.qmpPath);
    disk = await NbdClient.connect({ path: daemon.nbdPath }, 'disk', { metaContexts: ['base:allocation'] });
  });

  afterAll(async () => {
    await disk?.close();
    await qmp?.close();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates the export size, a writable export and the base:allocation context', () => {
    expect(disk.size).toBe(SIZE);
    expect(disk.readOnly).toBe(false);
    expect([...disk.contexts.keys()]).toEqual(['base:allocation']);
  });

  it('reads back what it wrote, and the image file holds the same bytes', async () => {
    const data = randomBytes(3 * 65536 + 100);
    await disk.write(MIB + 7, data);
    await disk.flush();
    expect((await disk.read(MIB + 7, data.length)).equals(data)).toBe(true);
    const onDisk = Buffer.alloc(data.length);
    const fd = fs.openSync(image, 'r');
    fs.readSync(fd, onDisk, 0, data.length, MIB + 7);
    fs.closeSync(fd);
    expect(onDisk.equals(data)).toBe(true);
  });

  it('reads a hole as zeros', async () => {
    const got = await disk.read(40 * MIB, 2 * 65536);
    expect(got.equals(Buffer.alloc(2 * 65536))).toBe(true);
  });

  it('splits a read larger than the server maximum payload and pipelines many reads', async () => {
    const big = randomBytes(40 * MIB);
    await disk.write(8 * MIB, big);
    expect((await disk.read(8 * MIB, big.length)).equals(big)).toBe(true);
    const parts = await Promise.all(Array.from({ length: 64 }, (_, i) => disk.read(8 * MIB + i * 65536, 65536)));
    parts.forEach((p, i) => expect(p.equals(big.subarray(i * 65536, (i + 1) * 65536)), `block ${i}`).toBe(true));
  });

  it('reads into the caller\'s buffer at its offset and leaves the bytes around it alone', async () => {
    const data = randomBytes(3 * 65536 + 100);
    await disk.write(20 * MIB, data);
    const into = Buffer.alloc(data.length + 64, 0xaa);
    const got = await disk.read(20 * MIB, data.length, into.subarray(32, 32 + data.length));
    expect(got.equals(data)).toBe(true);
    expect(into.subarray(32, 32 + data.length).equals(data)).toBe(true);
    expect(into.subarray(0, 32).every((b) => b === 0xaa) && into.subarray(32 + data.length).every((b) => b === 0xaa)).toBe(true);
  });

  it('answers block status requests and reads sent together, each with its own reply', async () => {
    const [extents, a, b] = await Promise.all([disk.blockStatus('base:allocation'), disk.read(MIB, 65536), disk.read(60 * MIB, 65536)]);
    expect(extents.reduce((n, e) => n + e.length, 0)).toBe(SIZE);
    expect(a.equals(await disk.read(MIB, 65536))).toBe(true);
    expect(b.equals(Buffer.alloc(65536))).toBe(true);
  });

  it('reports data, holes and zeros through base:allocation', async () => {
    const extents = await disk.blockStatus('base:allocation');
    expect(extents[0]!.offset).toBe(0);
    expect(extents.reduce((a, e) => a + e.length, 0)).toBe(SIZE);
    const at = (o: number) => extents.find((e) => e.offset <= o && o < e.offset + e.length)!;
    expect(at(MIB + 65536).flags & STATE_ZERO).toBe(0);
    expect(at(60 * MIB).flags).toBe(STATE_HOLE | STATE_ZERO);
  });

  it('lists exactly the dirty extents of a bitmap through qemu:dirty-bitmap', async () => {
    await qmp.execute('block-dirty-bitmap-add', { node: MANAGED_NODE, name: 'track', granularity: 65536 });
    await disk.write(0, randomBytes(65536));
    await disk.write(5 * 65536 + 10, randomBytes(20)); // inside one block
    await disk.write(50 * MIB - 65536, randomBytes(2 * 65536)); // two blocks
    await qmp.execute('block-dirty-bitmap-disable', { node: MANAGED_NODE, name: 'track' });
    await qmp.execute('block-export-add', { type: 'nbd', id: 'view', 'node-name': MANAGED_NODE, name: 'view', writable: false, bitmaps: ['track'] });
    const view = await NbdClient.connect({ path: daemon.nbdPath }, 'view', { metaContexts: ['qemu:dirty-bitmap:track'] });
    try {
      expect(view.readOnly).toBe(true);
      const dirty = (await view.blockStatus('qemu:dirty-bitmap:track')).filter((e) => e.flags & STATE_DIRTY);
      expect(dirty.map((e) => [e.offset, e.length])).toEqual([
        [0, 65536],
        [5 * 65536, 65536],
        [50 * MIB - 65536, 2 * 65536],
      ]);
      await expect(view.write(0, Buffer.alloc(512))).rejects.toThrow(/read-only/);
    } finally {
      await view.close();
      await qmp.execute('block-export-del', { id: 'view' });
    }
  });

  it('names the export it could not find in a one-line NbdError', async () => {
    const e = await NbdClient.connect({ path: daemon.nbdPath }, 'nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NbdError);
    expect((e as Error).message).toMatch(/^NBD .*disk\.nbd export "nope": /);
    expect((e as Error).message).not.toContain('\n');
  });

  it('refuses a meta context the export does not offer', async () => {
    await expect(NbdClient.connect({ path: daemon.nbdPath }, 'disk', { metaContexts: ['qemu:dirty-bitmap:none'] })).rejects.toThrow(/does not offer meta context qemu:dirty-bitmap:none/);
  });

  it('refuses a read beyond the end of the export without sending it', async () => {
    await expect(disk.read(SIZE - 512, 1024)).rejects.toThrow(/beyond the export/);
    expect((await disk.read(SIZE - 512, 512)).length).toBe(512);
  });
});
