// Starting the qemu-storage-daemon the agent runs: io_uring when the daemon and kernel take
// it, the thread pool at once when they refuse it, and a daemon that dies at start reported
// in one line without waiting for the start timeout. A wrapper script stands in for a daemon
// without io_uring; behind it runs the real one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NbdClient } from '../../../../src/protocol/nbd/client.js';
import { DAEMON_BINARY, StorageDaemon, StorageDaemonError, storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';

describe.skipIf(!storageDaemonAvailable())('the storage daemon the agent runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-qsd-'));
  const image = path.join(dir, 'disk.img');
  fs.writeFileSync(image, Buffer.alloc(1 << 20, 7));
  const wrapper = (name: string, body: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('falls back to the thread pool at once when io_uring is refused, and serves the image', async () => {
    const noUring = wrapper(
      'no-uring.sh',
      `case "$*" in *aio=io_uring*) echo "qemu-storage-daemon: --blockdev driver=file: Unable to use io_uring: failed to init linux io_uring ring: Operation not permitted" >&2; exit 1;; esac\nexec ${DAEMON_BINARY} "$@"`,
    );
    const t = Date.now();
    const d = await StorageDaemon.start({ image, dir: path.join(dir, 'a'), exportName: 'disk', binary: noUring });
    try {
      expect(Date.now() - t).toBeLessThan(5000);
      expect(d.aio).toBe('threads');
      const nbd = await NbdClient.connect({ path: d.nbdPath }, 'disk');
      expect((await nbd.read(0, 4096)).equals(Buffer.alloc(4096, 7))).toBe(true);
      await nbd.close();
    } finally {
      await d.stop();
    }
  });

  it('reports a daemon that exits at start in one line, without waiting for the timeout', async () => {
    const broken = wrapper('broken.sh', 'echo "qemu-storage-daemon: something else is wrong" >&2; exit 1');
    const t = Date.now();
    const e = await StorageDaemon.start({ image, dir: path.join(dir, 'b'), exportName: 'disk', binary: broken }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StorageDaemonError);
    expect((e as Error).message).toMatch(/^qemu-storage-daemon for .*disk\.img exited: qemu-storage-daemon: something else is wrong$/);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('stops with the agent\'s pipe closed: the daemon and its guard are gone', async () => {
    const d = await StorageDaemon.start({ image, dir: path.join(dir, 'c'), exportName: 'disk' });
    const pid = Number(fs.readFileSync(path.join(dir, 'c', 'disk.pid'), 'utf8'));
    await d.stop();
    expect(d.running).toBe(false);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });
});
