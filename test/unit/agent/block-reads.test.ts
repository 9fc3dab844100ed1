// Repair reads end to end in one process: the hub's block read requests and the agent's block
// reader talking through the real wire schemas and binary frames, over a real file.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { sendBlocks } from '../../../agent/block-reads.js';
import type { VolumeSpec } from '../../../agent/uploader.js';
import { BlockReadRequests } from '../../../src/hub/block-reads.js';
import { parseAgentMessage, parseHubMessage } from '../../../src/protocol/agent.js';
import { CODEC_ZSTD, decodeBlockFrame, type BlockFrame } from '../../../src/protocol/frames.js';

const BS = 65536;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-block-reads-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function pair(volumes: VolumeSpec[]): BlockReadRequests {
  let hub!: BlockReadRequests;
  const ports = {
    volumes,
    log: () => undefined,
    send: (m: object) => {
      const msg = parseAgentMessage(JSON.stringify(m));
      if (msg.type === 'blocks.sent') hub.settle(msg);
    },
    sendBinary: async (frame: Buffer) => hub.frame(decodeBlockFrame(frame)),
  };
  hub = new BlockReadRequests((m) => {
    const msg = parseHubMessage(JSON.stringify(m));
    if (msg.type === 'blocks.get') void sendBlocks(ports, msg);
  });
  return hub;
}

const raw = (f: BlockFrame) => (f.codec === CODEC_ZSTD ? decompress(f.payload) : Buffer.from(f.payload));

describe('repair reads of an agent volume', () => {
  const file = path.join(dir, 'disk.img');
  const text = Buffer.from('x'.repeat(BS));
  fs.writeFileSync(file, Buffer.concat([randomBytes(BS), text, randomBytes(BS / 2)]));
  const bytes = fs.readFileSync(file);

  it('sends the asked blocks as they are, each with the sha256 of its content, the short last one at its length', async () => {
    const got: BlockFrame[] = [];
    const n = await pair([{ name: 'disk', path: file, blockSize: BS }]).read('disk', [0, 1, 2], (f) => void got.push({ ...f, payload: Buffer.from(f.payload) }));
    expect(n).toBe(3);
    for (const f of got) {
      const want = bytes.subarray(f.blockIndex * BS, (f.blockIndex + 1) * BS);
      expect(raw(f).equals(want)).toBe(true);
      expect(Buffer.from(f.hash).equals(createHash('sha256').update(want).digest())).toBe(true);
    }
    expect(got.find((f) => f.blockIndex === 1)!.codec).toBe(CODEC_ZSTD);
    expect(got.find((f) => f.blockIndex === 2)!.rawLength).toBe(BS / 2);
  });

  it('skips blocks past the end of the volume', async () => {
    const got: number[] = [];
    expect(await pair([{ name: 'disk', path: file, blockSize: BS }]).read('disk', [2, 9], (f) => void got.push(f.blockIndex))).toBe(1);
    expect(got).toEqual([2]);
  });

  it("refuses a volume that is not in the agent's config, reading nothing", async () => {
    const got: number[] = [];
    await expect(pair([{ name: 'disk', path: file, blockSize: BS }]).read('etc', [0], (f) => void got.push(f.blockIndex))).rejects.toThrow("agent: volume etc is not in this agent's config");
    expect(got).toEqual([]);
  });

  it('refuses a volume that qemu serves', async () => {
    await expect(pair([{ name: 'vm', path: file, blockSize: BS, tracker: 'qemu-dirty-bitmap' }]).read('vm', [0], () => undefined)).rejects.toThrow(/served by qemu/);
  });

  it('fails a pending read when the link drops', async () => {
    const hub = new BlockReadRequests(() => undefined);
    const r = hub.read('disk', [0], () => undefined);
    hub.failAll('agent h1 disconnected');
    await expect(r).rejects.toThrow('agent h1 disconnected');
  });
});
