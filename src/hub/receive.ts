// Hub side of one volume of a backup job: which blocks were offered, which we asked for,
// what arrived. Pure bookkeeping plus the chunk writer; commit goes through BlockStore.
// What the hub proves about a block as it arrives (docs/architecture.md, "What the hub
// proves"): it was asked for, its payload is the one the agent framed (CRC-32), and its
// length is the block's. It does not re-hash or decompress it here: the sha256 is the agent's
// content id, tied to the point by the Merkle root at commit and proven by restore and verify.
import { createRequire } from 'node:module';
import { FLAG_ZERO, OFFER_ENTRY_BYTES } from '../protocol/agent.js';
import { ProtocolError } from '../protocol/errors.js';
import { CODEC_ZSTD, payloadIntact, type BlockFrame } from '../protocol/frames.js';
import type { BlockStore } from '../store/block-store.js';
import type { ChunkWriter } from '../store/chunk-writer.js';
import type { ManifestEntry } from '../store/manifest.js';
import { ChangeTally } from './change-stats.js';

/** bytes of a block's hash */
const HASH_BYTES = 32;

export class VolumeReceive {
  /** one bit per block: offered already */
  private readonly offered: Uint8Array;
  // the offered blocks in offer order, one slot each (no object per block: typed arrays and
  // one buffer of hashes; a block that arrives re-read has its slot's hash replaced)
  private slots = 0;
  private indices = new Uint32Array(1024);
  private flags = new Uint8Array(1024);
  private hashes = Buffer.allocUnsafe(1024 * HASH_BYTES);
  /** block index → its slot, for the blocks asked for and not arrived yet */
  private readonly needed = new Map<number, number>();
  /** hashes asked for (hex), so that one content is asked for once */
  private readonly requested = new Set<string>();
  private nextSeq = 0;
  received = 0;
  bytesWire = 0;
  readonly writer: ChunkWriter;
  /** new blocks and those that did not compress (suspicious change, change-stats.ts) */
  readonly tally = new ChangeTally();

  constructor(
    private readonly store: Pick<BlockStore, 'openWriter' | 'reuseChunks'>,
    readonly volumeId: number,
    readonly name: string,
    readonly mode: 'full' | 'incremental',
    readonly blockSize: number,
    readonly blockCount: number,
    readonly size: number,
  ) {
    this.offered = new Uint8Array(Math.ceil(blockCount / 8));
    this.writer = store.openWriter();
  }

  blockLength(i: number): number {
    return Math.min(this.blockSize, this.size - i * this.blockSize);
  }

  /** Record an offer; returns the block indices whose chunks the hub lacks (one index lookup per offer). */
  offer(seq: number, raw: Buffer): number[] {
    if (seq !== this.nextSeq) throw new ProtocolError('out-of-order', `offer seq ${seq}, expected ${this.nextSeq}`);
    if (raw.length % OFFER_ENTRY_BYTES !== 0) throw new ProtocolError('malformed', 'offer.entries: length not a multiple of 37');
    this.nextSeq++;
    const n = raw.length / OFFER_ENTRY_BYTES;
    this.reserve(n);
    const askedSlots: number[] = [];
    const askedHashes: Buffer[] = [];
    const askedKeys: string[] = [];
    const batch = new Set<string>();
    for (let o = 0; o < raw.length; o += OFFER_ENTRY_BYTES) {
      const index = raw.readUInt32LE(o);
      if (index >= this.blockCount) throw new ProtocolError('malformed', `offer names block ${index} of ${this.blockCount}`);
      const bit = 1 << (index & 7);
      if (this.offered[index >> 3]! & bit) throw new ProtocolError('malformed', `block ${index} offered twice`);
      this.offered[index >> 3]! |= bit;
      const slot = this.slots++;
      const zero = raw[o + 4]! & FLAG_ZERO;
      this.indices[slot] = index;
      this.flags[slot] = zero;
      raw.copy(this.hashes, slot * HASH_BYTES, o + 5, o + OFFER_ENTRY_BYTES);
      if (zero) continue;
      const hash = this.hashes.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
      const key = hash.toString('hex');
      if (this.requested.has(key) || batch.has(key) || this.writer.has(hash)) continue;
      batch.add(key);
      askedSlots.push(slot);
      askedHashes.push(hash);
      askedKeys.push(key);
    }
    const had = this.store.reuseChunks(this.writer, askedHashes);
    const need: number[] = [];
    for (let k = 0; k < askedSlots.length; k++) {
      const key = askedKeys[k]!;
      if (had.has(key)) continue;
      const slot = askedSlots[k]!;
      this.requested.add(key);
      this.needed.set(this.indices[slot]!, slot);
      need.push(this.indices[slot]!);
    }
    return need;
  }

  /** room for `n` more slots */
  private reserve(n: number): void {
    if (this.slots + n <= this.indices.length) return;
    const cap = Math.max(this.slots + n, this.indices.length * 2);
    const indices = new Uint32Array(cap);
    indices.set(this.indices.subarray(0, this.slots));
    const flags = new Uint8Array(cap);
    flags.set(this.flags.subarray(0, this.slots));
    const hashes = Buffer.allocUnsafe(cap * HASH_BYTES);
    this.hashes.copy(hashes, 0, 0, this.slots * HASH_BYTES);
    this.indices = indices;
    this.flags = flags;
    this.hashes = hashes;
  }

  /** Accept one block frame: it must have been asked for, arrive intact and have the block's length. */
  block(f: BlockFrame, frameBytes: number): void {
    const slot = this.needed.get(f.blockIndex);
    if (slot === undefined) throw new ProtocolError('out-of-order', `block ${f.blockIndex} was not asked for`);
    const len = this.blockLength(f.blockIndex);
    if (f.rawLength !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} is ${f.rawLength} bytes, expected ${len}`);
    if (!payloadIntact(f)) throw new ProtocolError('malformed', `block ${f.blockIndex} arrived damaged (checksum mismatch)`);
    if (f.codec === CODEC_ZSTD && zstdContentSize(f.payload) !== len) throw new ProtocolError('malformed', `block ${f.blockIndex} does not decompress to ${len} bytes`);
    this.needed.delete(f.blockIndex);
    // the agent re-read a block that changed after its scan: the point holds the new content
    // (copied into the slot: the frame's bytes go to the pack and must not be kept alive by the hash)
    f.hash.copy(this.hashes, slot * HASH_BYTES);
    this.flags[slot] = 0;
    // the writer copies the hash and writes the payload (no copy of it here)
    this.writer.put(f.hash, f.codec, len, f.payload);
    this.tally.block(f.codec, f.payload.length, len);
    this.received++;
    this.bytesWire += frameBytes;
  }

  missing(): number {
    return this.needed.size;
  }

  manifestEntries(): ManifestEntry[] {
    const out: ManifestEntry[] = new Array(this.slots);
    for (let s = 0; s < this.slots; s++) out[s] = { index: this.indices[s]!, flags: this.flags[s]!, hash: this.hashes.subarray(s * HASH_BYTES, (s + 1) * HASH_BYTES) };
    return out;
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
