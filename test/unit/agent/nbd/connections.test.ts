// Several NBD connections to one export against a real qemu-storage-daemon: reads spread over
// them return the image's bytes, a writable export gets one connection, and a connection that
// breaks (cut by a proxy in front of the daemon) fails its reads and the opening cleanly.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdError } from '../../../../src/protocol/nbd/client.js';
import { NbdReadConnections } from '../../../../agent/nbd/connections.js';
import { QmpClient } from '../../../../agent/qmp/client.js';
import { MANAGED_NODE, StorageDaemon, storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';

const MIB = 1 << 20;
const BS = 65536;

/** A unix-socket proxy in front of the daemon's NBD server; `refuse(k)`: drop the k-th connection (0-based) at once. */
async function nbdProxy(target: string, at: string, refuse?: (k: number) => boolean) {
  const upstream: net.Socket[] = [];
  const server = net.createServer((down) => {
    const k = upstream.length;
    const up = net.createConnection({ path: target });
    upstream.push(up);
    if (refuse?.(k)) return void (down.destroy(), up.destroy());
    down.pipe(up);
    up.pipe(down);
    const end = () => (down.destroy(), up.destroy());
    for (const s of [up, down]) s.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(at, r));
  return { upstream, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.skipIf(!storageDaemonAvailable())('NBD read connections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-nbdc-'));
  const image = path.join(dir, 'disk.img');
  const data = randomBytes(16 * MIB);
  let daemon: StorageDaemon;
  let qmp: QmpClient;

  beforeAll(async () => {
    fs.writeFileSync(image, data);
    daemon = await StorageDaemon.start({ image, dir, exportName: 'disk' });
    qmp = await QmpClient.connect(daemon.qmpPath);
    await qmp.execute('block-export-add', { type: 'nbd', id: 'view', 'node-name': MANAGED_NODE, name: 'view', writable: false });
  });

  afterAll(async () => {
    await qmp?.close();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** 128 scattered 64 KiB blocks, read concurrently into one buffer */
  const blocks = Array.from({ length: 128 }, (_, k) => (k * 37) % 256);
  const readAll = (c: NbdReadConnections, into: Buffer) => blocks.map((b, k) => c.read(b * BS, BS, into.subarray(k * BS, (k + 1) * BS)));

  it('spreads reads over two connections to a read-only export and returns the bytes of the image', async () => {
    const c = await NbdReadConnections.open({ path: daemon.nbdPath }, 'view', 2);
    try {
      expect(c.count).toBe(2);
      const got = Buffer.alloc(blocks.length * BS);
      await Promise.all(readAll(c, got));
      blocks.forEach((b, k) => expect(got.subarray(k * BS, (k + 1) * BS).equals(data.subarray(b * BS, (b + 1) * BS)), `block ${b}`).toBe(true));
    } finally {
      await c.close();
    }
  });

  it('opens a single connection to a writable export', async () => {
    const c = await NbdReadConnections.open({ path: daemon.nbdPath }, 'disk', 2);
    try {
      expect(c.count).toBe(1);
      expect((await c.read(3 * BS, BS)).equals(data.subarray(3 * BS, 4 * BS))).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('fails the reads of a connection that breaks mid-read with a one-line NbdError, and closes', async () => {
    const proxy = await nbdProxy(daemon.nbdPath, path.join(dir, 'cut.sock'));
    const c = await NbdReadConnections.open({ path: path.join(dir, 'cut.sock') }, 'view', 2);
    try {
      // the second connection breaks as soon as replies flow on it
      proxy.upstream[1]!.once('data', () => proxy.upstream[1]!.destroy());
      const got = Buffer.alloc(blocks.length * BS);
      const settled = await Promise.allSettled(readAll(c, got));
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(failed.length).toBeGreaterThan(0);
      for (const f of failed) {
        expect(f.reason).toBeInstanceOf(NbdError);
        expect((f.reason as Error).message).toMatch(/^NBD .*cut\.sock export "view": connection closed$/);
      }
      // what did arrive is right
      settled.forEach((s, k) => {
        if (s.status === 'fulfilled') expect(s.value.equals(data.subarray(blocks[k]! * BS, (blocks[k]! + 1) * BS)), `block ${blocks[k]}`).toBe(true);
      });
      await expect(Promise.all(readAll(c, got))).rejects.toBeInstanceOf(NbdError);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('fails to open with the refused connection\'s NbdError and leaves no connection open', async () => {
    const proxy = await nbdProxy(daemon.nbdPath, path.join(dir, 'refuse.sock'), (k) => k === 1);
    try {
      await expect(NbdReadConnections.open({ path: path.join(dir, 'refuse.sock') }, 'view', 2)).rejects.toThrow(/^NBD .*refuse\.sock export "view": /);
      await new Promise((r) => setTimeout(r, 50));
      expect(proxy.upstream.every((s) => s.destroyed)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
