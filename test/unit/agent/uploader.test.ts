// An incremental's upload over a real file, with real scan and send worker threads (resolved
// from dist/: build first), against a hub stand-in that answers offers and commits like ours.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { AgentState } from '../../../agent/state.js';
import { ScanPool, scanVolume } from '../../../agent/trackers/scan.js';
import { closeBlockWorkers } from '../../../agent/block-pool.js';
import { ScanTracker } from '../../../agent/trackers/tracker.js';
import type { ChangedBlocks, ChangedRange } from '../../../agent/trackers/tracker.js';
import { uploadVolume, type JobLink } from '../../../agent/uploader.js';
import { decodeOffer, encodeIndices, parseAgentMessage, type HubMessageOf } from '../../../src/protocol/agent.js';
import type { VolumeGeneration } from '../../../agent/state.js';
import { CODEC_ZSTD, decodeBlockFrame } from '../../../src/protocol/frames.js';
import { merkleRootPacked } from '../../../src/protocol/merkle.js';

const BS = 4096;
const BLOCKS = 2000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

/** What the hub saw, in order; it asks for every non-zero block offered and commits point 2. */
class HubStandIn implements JobLink {
  events: string[] = [];
  messages: Record<string, unknown>[] = [];
  blocks = new Map<number, Buffer>();
  private waiters = new Map<string, (m: never) => void>();

  send(msg: object): void {
    // every message as the hub's parser reads it
    const m = parseAgentMessage(JSON.stringify(msg)) as unknown as Record<string, unknown> & { type: string };
    this.messages.push(m);
    this.events.push(m.type);
    if (m.type === 'offer') {
      const wanted = decodeOffer(m.entries as Buffer).filter((e) => (e.flags & 1) === 0).map((e) => e.index);
      setImmediate(() => this.reply(`need:${m.seq as number}`, { type: 'need', jobId: 7, volume: 'disk', seq: m.seq, indices: Buffer.from(encodeIndices(wanted), 'base64') }));
    }
    if (m.type === 'end') setImmediate(() => this.reply('committed', { type: 'committed', jobId: 7, volume: 'disk', pointId: 2 }));
  }

  async sendBinary(buf: Buffer): Promise<void> {
    const f = decodeBlockFrame(buf);
    this.events.push('frame');
    this.blocks.set(f.blockIndex, f.codec === CODEC_ZSTD ? Buffer.from(decompress(f.payload)) : Buffer.from(f.payload));
  }

  expect<T extends 'need' | 'committed'>(type: T, _jobId: number, _volume: string, seq?: number): Promise<HubMessageOf<T>> {
    return new Promise((resolve) => this.waiters.set(type === 'need' ? `need:${seq}` : type, resolve as (m: never) => void));
  }

  private reply(key: string, m: object): void {
    const w = this.waiters.get(key);
    this.waiters.delete(key);
    w?.(m as never);
  }
}

/** The scan tracker, noting in the hub's record when its scan of the volume is over. */
class NotedScan extends ScanTracker {
  constructor(
    vol: { name: string; path: string; blockSize: number },
    pool: ScanPool,
    private readonly hub: HubStandIn,
  ) {
    super(vol, pool, (p) => fs.statSync(p).size);
  }

  override async changedBlocks(prev: VolumeGeneration | null, onRange?: (r: ChangedRange) => void): Promise<ChangedBlocks> {
    const r = await super.changedBlocks(prev, onRange);
    this.hub.events.push('scan over');
    return r;
  }
}

describe('uploadVolume (incremental, scan tracker)', () => {
  let dir: string;
  let file: string;
  // one scan worker: the ranges finish strictly in order, the first long before the last
  const pool = new ScanPool(1);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-upload-'));
    file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, randomBytes(BLOCKS * BS));
  });

  afterAll(async () => {
    await pool.close();
    await closeBlockWorkers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers the first changed blocks while the rest of the volume is still being scanned, and commits the right point', async () => {
    const state = new AgentState(path.join(dir, 'state'));
    const base = await scanVolume(pool, file, BLOCKS * BS, BS, null);
    state.save('disk', { generation: 1, blockSize: BS, blockCount: BLOCKS, size: BLOCKS * BS, xxh: base.xxh, sha: base.sha });
    const fresh = { 1: randomBytes(BS), 2: Buffer.alloc(BS), 1500: randomBytes(BS), 1999: randomBytes(BS) };
    const fd = fs.openSync(file, 'r+');
    for (const [i, data] of Object.entries(fresh)) fs.writeSync(fd, data, 0, BS, Number(i) * BS);
    fs.closeSync(fd);

    const hub = new HubStandIn();
    const vol = { name: 'disk', path: file, blockSize: BS };
    const r = await uploadVolume(hub, { jobId: 7, full: false, volumeIndex: 0, basePointId: 1 }, vol, state, new NotedScan(vol, pool, hub));

    // the volume's bitmap first (the hub needs its geometry), then an offer before the scan is over
    const firstOffer = hub.events.indexOf('offer');
    expect(hub.events.indexOf('bitmap')).toBeLessThan(firstOffer);
    expect(firstOffer).toBeLessThan(hub.events.indexOf('scan over'));
    const [announced, live] = hub.messages.filter((m) => m.type === 'bitmap');
    expect(announced).toMatchObject({ jobId: 7, mode: 'incremental', blockCount: BLOCKS, size: BLOCKS * BS, dirtyCount: 0, scanning: true });
    // the changed blocks follow as the volume's live bitmap (no job), before the end
    expect(live).toMatchObject({ dirtyCount: 4, blockCount: BLOCKS });
    expect(live!.jobId).toBeUndefined();
    expect(hub.messages.indexOf(live!)).toBeLessThan(hub.messages.findIndex((m) => m.type === 'end'));

    expect(r).toMatchObject({ pointId: 2, changed: 4, sent: 3 });
    expect([...hub.blocks.keys()].sort((a, b) => a - b)).toEqual([1, 1500, 1999]);
    for (const i of [1, 1500, 1999]) expect(hub.blocks.get(i)!.equals(fresh[i as 1 | 1500 | 1999])).toBe(true);
    // the root covers the whole volume as it is now; the saved generation is the next base
    const now = fs.readFileSync(file);
    const shas = Buffer.concat(Array.from({ length: BLOCKS }, (_, i) => sha(now.subarray(i * BS, (i + 1) * BS))));
    expect(hub.messages.find((m) => m.type === 'end')!.merkleRoot).toBe(merkleRootPacked(shas));
    const saved = state.load('disk')!;
    expect(saved.generation).toBe(2);
    expect(saved.sha.equals(shas)).toBe(true);
  });
});
