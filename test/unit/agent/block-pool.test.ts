// The agent's block threads: a full's ranges and an incremental's frames run on the same
// threads, so a full neither stops the incremental's threads nor boots threads of its own.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeBlockWorkers, fullReaders, senders } from '../../../agent/block-pool.js';
import { frameBound } from '../../../agent/block-frames.js';
import { decodeBlockFrame } from '../../../src/protocol/frames.js';
import { tempDir } from '../../helpers/cluster.js';

describe('block pool', () => {
  const dir = tempDir();
  afterAll(async () => {
    await closeBlockWorkers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs a full's ranges and an incremental's frames on the same threads", async () => {
    const bs = 4096;
    const file = path.join(dir, 'disk.img');
    const image = Buffer.concat([randomBytes(bs * 3), Buffer.alloc(bs)]);
    fs.writeFileSync(file, image);
    senders.warm();
    expect(senders.started).toBe(senders.size);
    const out = Buffer.from(new SharedArrayBuffer(4 * frameBound(bs)));
    const full = await fullReaders.run({ path: file, blockSize: bs, size: image.length, start: 0, end: 4, jobId: 1, volumeIndex: 0, out });
    expect([...full.zero]).toEqual([0, 0, 0, 1]);
    const sha1 = createHash('sha256').update(image.subarray(bs, 2 * bs)).digest();
    expect(Buffer.from(full.sha.subarray(32, 64)).equals(sha1)).toBe(true);
    expect(decodeBlockFrame(out.subarray(full.at[1]!, full.at[2]!)).blockIndex).toBe(1);
    const sent = await senders.run({ path: file, blockSize: bs, size: image.length, jobId: 2, volumeIndex: 0, items: [{ index: 1, xxh: full.xxh.subarray(8, 16), sha: full.sha.subarray(32, 64) }] });
    expect(sent.amended).toEqual([]);
    expect(decodeBlockFrame(Buffer.from(sent.frames[0]!)).hash.equals(sha1)).toBe(true);
    expect(fullReaders.started).toBe(senders.size);
  });
});
