// The qemu-dirty-bitmap tracker on its own, against a qemu-storage-daemon it runs itself:
// bitmap-driven incrementals read only the dirty blocks, a freeze is a point in time, an
// abandoned job keeps its changes for the next one, and a lost bitmap falls back once.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { frameBound } from '../../../../agent/block-frames.js';
import { NbdClient } from '../../../../src/protocol/nbd/client.js';
import { storageDaemonAvailable } from '../../../../agent/trackers/qemu-daemon.js';
import { QemuDirtyBitmapTracker } from '../../../../agent/trackers/qemu-dirty-bitmap.js';
import type { ChangedBlocks } from '../../../../agent/trackers/tracker.js';
import type { VolumeGeneration } from '../../../../agent/state.js';
import { CODEC_ZSTD, decodeBlockFrame, payloadIntact } from '../../../../src/protocol/frames.js';

const BS = 65536;
const BLOCKS = 256;

describe.skipIf(!storageDaemonAvailable())('qemu-dirty-bitmap tracker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-qt-'));
  const image = path.join(dir, 'disk.img');
  const events: string[] = [];
  let generation: VolumeGeneration | null = null;
  let tracker: QemuDirtyBitmapTracker;
  let disk: NbdClient;
  let nextPoint = 1;

  const write = async (blocks: number[]) => {
    for (const i of blocks) await disk.write(i * BS, randomBytes(BS));
    await disk.flush();
  };
  const connectDisk = async () => {
    disk = await NbdClient.connect({ path: tracker.managedNbdPath }, 'disk');
  };
  /** what the uploader does: the base's sha256 list with the changed blocks replaced */
  const commit = async (r: ChangedBlocks) => {
    const sha = Buffer.alloc(r.blockCount * 32);
    generation?.sha.copy(sha);
    r.changed.forEach((i, k) => r.sha.copy(sha, i * 32, k * 32, k * 32 + 32));
    const point = nextPoint++;
    await tracker.commit(point, () => {
      generation = { generation: point, blockSize: BS, blockCount: r.blockCount, size: r.size, xxh: r.xxh, sha };
    });
  };

  beforeAll(async () => {
    fs.writeFileSync(image, randomBytes(BLOCKS * BS));
    tracker = new QemuDirtyBitmapTracker({
      volume: { name: 'disk', path: image, blockSize: BS, qmp: null, nbd: null },
      dataDir: dir,
      generation: () => generation?.generation ?? null,
      log: () => undefined,
      invalidated: (_v, m) => events.push(m),
    });
    await tracker.open();
    await connectDisk();
  });

  afterAll(async () => {
    await disk?.close().catch(() => undefined);
    await tracker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads every block for the first (full) backup and counts them all as changed', async () => {
    const r = await tracker.changedBlocks(null);
    expect(r.blockCount).toBe(BLOCKS);
    expect(r.changed).toHaveLength(BLOCKS);
    expect(r.bytesRead).toBe(BLOCKS * BS);
    await commit(r);
  });

  it('reads exactly the blocks written since the last commit, and hashes them like a scan would', async () => {
    await write([3, 4, 100, 255]);
    const r = await tracker.changedBlocks(generation);
    expect(r.changed).toEqual([3, 4, 100, 255]);
    expect(r.bytesRead).toBe(4 * BS);
    const onDisk = fs.readFileSync(image).subarray(100 * BS, 101 * BS);
    expect(r.sha.subarray(2 * 32, 3 * 32).equals(createHash('sha256').update(onDisk).digest())).toBe(true);
    expect(r.xxh.equals(Buffer.alloc(BLOCKS * 8))).toBe(true); // no xxh3 list: a scan tracker taking over would see every block as changed
    await commit(r);
    expect(events).toEqual([]);
  });

  it('keeps writes made after the freeze out of this point and in the next one', async () => {
    await write([10]);
    const r = await tracker.changedBlocks(generation);
    await write([11, 12]); // after the freeze: copy-before-write keeps the frozen view intact
    const frames = await tracker.frames(
      r.changed.map((index, k) => ({ index, xxh: new Uint8Array(r.xxh.subarray(index * 8, index * 8 + 8)), sha: new Uint8Array(r.sha.subarray(k * 32, k * 32 + 32)) })),
      { jobId: 1, volumeIndex: 0 },
    );
    expect(r.changed).toEqual([10]);
    expect(frames.frames).toHaveLength(1);
    expect(frames.amended).toEqual([]);
    await commit(r);
    const r2 = await tracker.changedBlocks(generation);
    expect(r2.changed).toEqual([11, 12]);
    await commit(r2);
  });

  it('carries the changes of an abandoned backup over to the next one', async () => {
    await write([20]);
    await tracker.changedBlocks(generation);
    await write([21]);
    await tracker.abandon();
    await write([22]);
    const r = await tracker.changedBlocks(generation);
    expect(r.changed).toEqual([20, 21, 22]);
    await commit(r);
  });

  it('falls back to one full scan and says why when the daemon comes back without the bitmap', async () => {
    await write([30]);
    await disk.close();
    process.kill(findDaemonPid(dir), 'SIGKILL'); // a raw image: the bitmap lived only in the daemon's memory
    await new Promise((r) => setTimeout(r, 200));
    const size = await tracker.size(); // reconnects: starts the daemon again
    expect(size).toBe(BLOCKS * BS);
    await connectDisk();
    await write([31]);
    const r = await tracker.changedBlocks(generation);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/dirty bitmap drc\.disk\.\S+ is gone .*reading the whole volume once/);
    expect(r.bytesRead).toBe(BLOCKS * BS);
    expect(r.changed).toEqual([30, 31]);
    await commit(r);
    await write([40]);
    const again = await tracker.changedBlocks(generation);
    expect(again.changed).toEqual([40]);
    expect(again.bytesRead).toBe(BS);
    expect(events).toHaveLength(1);
    await commit(again);
  });

  it('shows the live backlog from the bitmap without reading data', async () => {
    await write([50, 51]);
    const live = await tracker.live();
    expect(live).toMatchObject({ incremental: true, changed: [50, 51], blockCount: BLOCKS });
  });

  it('reads a full in one pass from the frozen view: every block hashed and framed once, later writes left for the next point', async () => {
    await write([60]);
    const size = await tracker.beginFull();
    const frozen = fs.readFileSync(image);
    await write([61]); // after the freeze
    const out = Buffer.from(new SharedArrayBuffer(BLOCKS * frameBound(BS)));
    const r = await tracker.readFull(0, BLOCKS, size, { jobId: 7, volumeIndex: 0 }, out);
    expect(r.bytesRead).toBe(BLOCKS * BS);
    for (let i = 0; i < BLOCKS; i++) {
      const block = frozen.subarray(i * BS, (i + 1) * BS);
      expect(Buffer.from(r.sha.subarray(i * 32, i * 32 + 32)).equals(createHash('sha256').update(block).digest())).toBe(true);
      const f = decodeBlockFrame(out.subarray(r.at[i]!, r.at[i + 1]!));
      expect(f).toMatchObject({ blockIndex: i, jobId: 7, rawLength: BS });
      expect(payloadIntact(f)).toBe(true);
      expect((f.codec === CODEC_ZSTD ? decompress(f.payload) : f.payload).equals(block)).toBe(true);
    }
    const point = nextPoint++;
    await tracker.commit(point, () => {
      generation = { generation: point, blockSize: BS, blockCount: BLOCKS, size, xxh: Buffer.from(r.xxh), sha: Buffer.from(r.sha) };
    });
    const next = await tracker.changedBlocks(generation);
    expect(next.changed).toEqual([61]);
    await commit(next);
  });
});

/** The qemu-storage-daemon process serving sockets in `dir`. */
function findDaemonPid(dir: string): number {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('qemu-storage-daemon') && cmd.some((a) => a.includes(dir))) return Number(p);
    } catch {
      // gone
    }
  }
  throw new Error(`no qemu-storage-daemon for ${dir}`);
}
