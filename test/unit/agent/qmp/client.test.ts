// The QMP client against a real qemu-storage-daemon: greeting, commands with ids, errors, events.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '../../../../agent/qmp/client.js';
import { MANAGED_NODE, StorageDaemon, storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';

describe.skipIf(!storageDaemonAvailable())('QMP client', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-qmp-'));
  let daemon: StorageDaemon;
  let qmp: QmpClient;

  beforeAll(async () => {
    const image = path.join(dir, 'disk.img');
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 8 << 20);
    daemon = await StorageDaemon.start({ image, dir, exportName: 'disk' });
    qmp = await QmpClient.connect(daemon.qmpPath);
  });

  afterAll(async () => {
    await qmp?.close();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves capabilities mode after the greeting and reports the QEMU version', async () => {
    expect(qmp.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await qmp.execute('query-block-exports')).toEqual([expect.objectContaining({ id: 'disk', 'node-name': MANAGED_NODE, type: 'nbd' })]);
  });

  it('matches replies to commands by id when several are in flight', async () => {
    const [a, b, c] = await Promise.all([
      qmp.execute('block-dirty-bitmap-add', { node: MANAGED_NODE, name: 'b1' }),
      qmp.execute<{ 'node-name': string }[]>('query-named-block-nodes', { flat: true }),
      qmp.execute('query-block-jobs'),
    ]);
    expect(a).toEqual({});
    expect(b.map((n) => n['node-name'])).toContain(MANAGED_NODE);
    expect(c).toEqual([]);
  });

  it('rejects a failing command with a one-line QmpError naming the command and the reason', async () => {
    const e = await qmp.execute('block-dirty-bitmap-remove', { node: MANAGED_NODE, name: 'nope' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QmpError);
    expect((e as QmpError).errorClass).toBe('GenericError');
    expect((e as Error).message).toMatch(/^QMP block-dirty-bitmap-remove: .*nope/);
    expect((e as Error).message).not.toContain('\n');
  });

  it('delivers asynchronous events to waiters', async () => {
    await qmp.execute('block-export-add', { type: 'nbd', id: 'ro', 'node-name': MANAGED_NODE, name: 'ro', writable: false });
    const deleted = qmp.waitEvent('BLOCK_EXPORT_DELETED', (d) => d.id === 'ro');
    await qmp.execute('block-export-del', { id: 'ro' });
    expect((await deleted).data).toEqual({ id: 'ro' });
  });

  it('fails commands with a QmpError once the connection is closed, and a monitor takes the next client', async () => {
    await qmp.close();
    await expect(qmp.execute('query-block-jobs')).rejects.toThrow(QmpError);
    qmp = await QmpClient.connect(daemon.qmpPath);
    expect(await qmp.execute('query-block-jobs')).toEqual([]);
  });

  it('reports a missing socket as a one-line error', async () => {
    await expect(QmpClient.connect(path.join(dir, 'missing.qmp'))).rejects.toThrow(/^QMP connection: .*missing\.qmp/);
  });
});
