// Hub side of one volume of a backup job: which blocks were offered, which we asked for,
// what arrived. Pure bookkeeping plus the chunk writer; commit goes through BlockStore.
import { createHash } from 'node:crypto';
import { decompress } from 'zstd-napi';
import { FLAG_ZERO, decodeOffer } from '../protocol/agent.js';
import { ProtocolError } from '../protocol/errors.js';
import { CODEC_ZSTD, type BlockFrame } from '../protocol/frames.js';
import type { BlockStore } from '../store/block-store.js';
import type { ChunkWriter } from '../store/chunk-writer.js';
import type { ManifestEntry } from '../store/manifest.js';
import { ChangeTally } from './change-stats.js';

export class VolumeReceive {
  readonly entries = new Map<number, { flags: number; hash: Buffer }>();
  private readonly needed = new Map<number, string>();
  private readonly requested = new Set<string>();
  private nextSeq = 0;
  received = 0;
  bytesWire = 0;
  readonly writer: ChunkWriter;
  /** new blocks and those that did not compress (suspicious change, change-stats.ts) */
  readonly tally = new ChangeTally();

  constructor(
    private readonly store: BlockStore,
    readonly volumeId: number,
    readonly name: string,
    readonly mode: 'full' | 'incremental',
    readonly blockSize: number,
    readonly blockCount: number,
    readonly size: number,
  ) {
    this.writer = store.openWriter();
  }

  blockLength(i: number): number {
    return Math.min(this.blockSize, this.size - i * this.blockSize);
  }

  /** Record an offer; returns the block indices whose chunks the hub lacks. */
  offer(seq: number, raw: Buffer): number[] {
    if (seq !== this.nextSeq) throw new ProtocolError('out-of-order', `offer seq ${seq}, expected ${this.nextSeq}`);
    this.nextSeq++;
    const need: number[] = [];
    for (const e of decodeOffer(raw)) {
      if (e.index >= this.blockCount) throw new ProtocolError('malformed', `offer names block ${e.index} of ${this.blockCount}`);
      if (this.entries.has(e.index)) throw new ProtocolError('malformed', `block ${e.index} offered twice`);
      const hash = Buffer.from(e.hash);
      this.entries.set(e.index, { flags: e.flags & FLAG_ZERO, hash });
      if (e.flags & FLAG_ZERO) continue;
      const key = hash.toString('hex');
      if (this.requested.has(key) || this.writer.has(hash) || this.store.reuseChunk(this.writer, hash)) continue;
      this.requested.add(key);
      this.needed.set(e.index, key);
      need.push(e.index);
    }
    return need;
  }

  /** Accept one block frame: it must have been asked for; its bytes must match its hash. */
  block(f: BlockFrame, frameBytes: number): void {
    if (!this.needed.has(f.blockIndex)) throw new ProtocolError('out-of-order', `block ${f.blockIndex} was not asked for`);
    const len = this.blockLength(f.blockIndex);
    if (f.rawLength !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} is ${f.rawLength} bytes, expected ${len}`);
    let raw: Buffer;
    try {
      raw = f.codec === CODEC_ZSTD ? decompress(f.payload) : f.payload;
    } catch {
      throw new ProtocolError('malformed', `block ${f.blockIndex} does not decompress`);
    }
    if (raw.length !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} decompresses to ${raw.length} bytes`);
    const actual = createHash('sha256').update(raw).digest();
    if (!actual.equals(f.hash)) throw new ProtocolError('malformed', `block ${f.blockIndex} does not match its hash`);
    this.needed.delete(f.blockIndex);
    // the agent re-read a block that changed after its scan: the point holds the new content
    this.entries.set(f.blockIndex, { flags: 0, hash: actual });
    // the writer copies or writes the payload at once: no copy of it here
    this.writer.put(actual, f.codec, len, f.payload);
    this.tally.block(f.codec, f.payload.length, len);
    this.received++;
    this.bytesWire += frameBytes;
  }

  missing(): number {
    return this.needed.size;
  }

  manifestEntries(): ManifestEntry[] {
    return [...this.entries].map(([index, e]) => ({ index, flags: e.flags, hash: e.hash }));
  }
}
