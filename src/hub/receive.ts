// Hub side of one volume of a backup job: which blocks were offered, which we asked for,
// what arrived. Pure bookkeeping plus the chunk writer; commit goes through BlockStore.
// What the hub proves about a block as it arrives (docs/architecture.md, "What the hub
// proves"): it was asked for, its payload is the one the agent framed (CRC-32), and its
// length is the block's. It does not re-hash or decompress it here: the sha256 is the agent's
// content id, tied to the point by the Merkle root at commit and proven by restore and verify.
import { createRequire } from 'node:module';
import { FLAG_ZERO, decodeOffer } from '../protocol/agent.js';
import { ProtocolError } from '../protocol/errors.js';
import { CODEC_ZSTD, payloadIntact, type BlockFrame } from '../protocol/frames.js';
import type { BlockStore } from '../store/block-store.js';
import type { ChunkWriter } from '../store/chunk-writer.js';
import { sealPool } from '../store/seal-pool.js';
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
    // an encrypted store's chunks are sealed in worker threads while the frames keep coming
    this.writer = store.openWriter({ sealPool: sealPool() });
  }

  blockLength(i: number): number {
    return Math.min(this.blockSize, this.size - i * this.blockSize);
  }

  /** Record an offer; returns the block indices whose chunks the hub lacks (one index lookup per offer). */
  offer(seq: number, raw: Buffer): number[] {
    if (seq !== this.nextSeq) throw new ProtocolError('out-of-order', `offer seq ${seq}, expected ${this.nextSeq}`);
    this.nextSeq++;
    const asked: { index: number; hash: Buffer; key: string }[] = [];
    const batch = new Set<string>();
    for (const e of decodeOffer(raw)) {
      if (e.index >= this.blockCount) throw new ProtocolError('malformed', `offer names block ${e.index} of ${this.blockCount}`);
      if (this.entries.has(e.index)) throw new ProtocolError('malformed', `block ${e.index} offered twice`);
      const hash = Buffer.from(e.hash);
      this.entries.set(e.index, { flags: e.flags & FLAG_ZERO, hash });
      if (e.flags & FLAG_ZERO) continue;
      const key = hash.toString('hex');
      if (this.requested.has(key) || batch.has(key) || this.writer.has(hash)) continue;
      batch.add(key);
      asked.push({ index: e.index, hash, key });
    }
    const had = this.store.reuseChunks(this.writer, asked.map((a) => a.hash));
    const need: number[] = [];
    for (const a of asked) {
      if (had.has(a.key)) continue;
      this.requested.add(a.key);
      this.needed.set(a.index, a.key);
      need.push(a.index);
    }
    return need;
  }

  /** Accept one block frame: it must have been asked for, arrive intact and have the block's length. */
  block(f: BlockFrame, frameBytes: number): void {
    if (!this.needed.has(f.blockIndex)) throw new ProtocolError('out-of-order', `block ${f.blockIndex} was not asked for`);
    const len = this.blockLength(f.blockIndex);
    if (f.rawLength !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} is ${f.rawLength} bytes, expected ${len}`);
    if (!payloadIntact(f)) throw new ProtocolError('malformed', `block ${f.blockIndex} arrived damaged (checksum mismatch)`);
    if (f.codec === CODEC_ZSTD && zstdContentSize(f.payload) !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} does not decompress to ${len} bytes`);
    this.needed.delete(f.blockIndex);
    // the agent re-read a block that changed after its scan: the point holds the new content
    // (a copy: the frame's bytes go to the pack and must not be kept alive by the hash)
    const hash = Buffer.from(f.hash);
    this.entries.set(f.blockIndex, { flags: 0, hash });
    // the writer copies or writes the payload at once: no copy of it here
    this.writer.put(hash, f.codec, len, f.payload);
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

// the native binding is CommonJS with no named ESM exports
const zstdBinding = createRequire(import.meta.url)('zstd-napi/binding') as { getFrameContentSize(frame: Uint8Array): number | null };

/** The content size a zstd frame declares in its header (-1: none or not a zstd frame). */
function zstdContentSize(payload: Buffer): number {
  try {
    return zstdBinding.getFrameContentSize(payload) ?? -1;
  } catch {
    return -1;
  }
}
