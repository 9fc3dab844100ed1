// The failback write path end to end in one process: the hub's volume requests and the
// agent's volume writer talking through the real wire schemas (every message serialised and
// parsed as on the socket), over real files.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanPool, scanVolume } from '../../../agent/trackers/scan.js';
import type { VolumeSpec } from '../../../agent/uploader.js';
import type { VolumeGeneration } from '../../../agent/state.js';
import { VolumeIo } from '../../../agent/volume-io.js';
import { parseAgentMessage, parseHubMessage } from '../../../src/protocol/agent.js';
import { VolumeRequests } from '../../../src/hub/volume-requests.js';

const BS = 65536;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-volume-io-'));
const pool = new ScanPool(1);
afterAll(async () => {
  await pool.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function pair(volumes: VolumeSpec[], fenced: string | null, base: VolumeGeneration | null = null) {
  const logs: string[] = [];
  let hub!: VolumeRequests;
  const agent = new VolumeIo({
    volumes, pool, fenced: () => fenced, log: (_l, m) => void logs.push(m), base: () => base,
    send: (m) => {
      const msg = parseAgentMessage(JSON.stringify(m));
      if (msg.type === 'hashes') hub.settleHashes(msg);
      else if (msg.type === 'changes') hub.settleChanges(msg);
      else if (msg.type === 'written') hub.settleWritten(msg);
    },
  });
  hub = new VolumeRequests({
    send: (m) => {
      const msg = parseHubMessage(JSON.stringify(m));
      if (msg.type === 'hashes.get') void agent.hashes(msg);
      else if (msg.type === 'changes.get') void agent.changes(msg);
      else if (msg.type === 'write.begin') agent.begin(msg);
      else if (msg.type === 'write.end') agent.end(msg);
    },
    sendBinary: (b) => agent.block(b),
    bufferedAmount: () => 0,
    closed: () => false,
  });
  return { hub, agent, logs };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
let file: string;
let vol: VolumeSpec;

beforeEach(() => {
  file = path.join(dir, `disk-${Math.random().toString(36).slice(2)}.img`);
  fs.writeFileSync(file, randomBytes(4 * BS + 1000));
  vol = { name: 'disk', path: file, blockSize: BS };
});

describe('failback writes through the agent', () => {
  it('hashes every block of the volume as it is now, the short last block over its own length', async () => {
    const { hub } = pair([vol], 'failed over');
    const h = await hub.hashes('disk');
    const data = fs.readFileSync(file);
    expect(h).toMatchObject({ size: data.length, blockSize: BS });
    expect(h.sha.subarray(0, 32)).toEqual(sha(data.subarray(0, BS)));
    expect(h.sha.subarray(4 * 32)).toEqual(sha(data.subarray(4 * BS)));
  });

  it('hashes just the listed blocks, in list order', async () => {
    const { hub } = pair([vol], 'failed over');
    const data = fs.readFileSync(file);
    const h = await hub.hashesOf('disk', [4, 0, 2]);
    expect(h).toEqual(Buffer.concat([sha(data.subarray(4 * BS)), sha(data.subarray(0, BS)), sha(data.subarray(2 * BS, 3 * BS))]));
  });

  it("names the blocks changed since the agent's committed generation, and refuses without one", async () => {
    const scan = await scanVolume(pool, file, fs.statSync(file).size, BS, null, true);
    const base: VolumeGeneration = { generation: 7, blockSize: BS, blockCount: scan.blockCount, size: scan.size, xxh: scan.xxh, sha: scan.sha };
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, randomBytes(10), 0, 10, 3 * BS + 5);
    fs.writeSync(fd, randomBytes(10), 0, 10, 5);
    fs.closeSync(fd);
    expect(await pair([vol], 'failed over', base).hub.changes('disk')).toEqual({ generation: 7, size: 4 * BS + 1000, blockSize: BS, changed: [0, 3] });
    await expect(pair([vol], 'failed over').hub.changes('disk')).rejects.toThrow(/no committed generation/);
  });

  it('writes the blocks it is sent into the volume, and nothing else of it changes', async () => {
    const { hub } = pair([vol], 'failed over');
    const before = fs.readFileSync(file);
    const block = randomBytes(BS);
    const tail = randomBytes(1000);
    const n = await hub.write('disk', { blockSize: BS, size: before.length }, [{ index: 1, data: block }, { index: 4, data: tail }]);
    expect(n).toBe(2);
    const after = fs.readFileSync(file);
    expect(after.subarray(BS, 2 * BS)).toEqual(block);
    expect(after.subarray(4 * BS)).toEqual(tail);
    expect(after.subarray(0, BS)).toEqual(before.subarray(0, BS));
    expect(after.subarray(2 * BS, 4 * BS)).toEqual(before.subarray(2 * BS, 4 * BS));
  });

  it('refuses to write while the host is not fenced, into a volume outside its config, or when the sizes differ', async () => {
    const before = fs.readFileSync(file);
    const blocks = [{ index: 0, data: randomBytes(BS) }];
    await expect(pair([vol], null).hub.write('disk', { blockSize: BS, size: before.length }, blocks)).rejects.toThrow(/not fenced/);
    await expect(pair([vol], 'x').hub.write('other', { blockSize: BS, size: before.length }, blocks)).rejects.toThrow(/not in this agent's config/);
    await expect(pair([vol], 'x').hub.write('disk', { blockSize: BS, size: before.length + BS }, blocks)).rejects.toThrow(/sizes must match/);
    expect(fs.readFileSync(file)).toEqual(before);
  });

  it('refuses a block that does not fit the volume, and writes none of the write after it', async () => {
    const { hub } = pair([vol], 'failed over');
    const before = fs.readFileSync(file);
    const w = hub.write('disk', { blockSize: BS, size: before.length }, [{ index: 4, data: randomBytes(BS) }, { index: 0, data: randomBytes(BS) }]);
    await expect(w).rejects.toThrow(/does not fit/);
    expect(fs.readFileSync(file)).toEqual(before);
  });

  it('refuses volumes that qemu serves: failback writes only into files the agent reads itself', async () => {
    const { hub } = pair([{ ...vol, tracker: 'qemu-dirty-bitmap' }], 'failed over');
    await expect(hub.hashes('disk')).rejects.toThrow(/served by qemu/);
  });
});
