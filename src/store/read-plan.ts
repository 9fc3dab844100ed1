// How to read a set of blocks from the packs: one read per chunk however many blocks use it,
// packs in the order the image first needs them, chunks in pack order, and adjacent chunks
// merged into extents (one big read each) as long as the gap between them is small.
import type { ChunkLocation } from '../catalog/catalog.js';

/** A chunk to read and the blocks of the image it fills. */
export interface PlannedChunk {
  loc: ChunkLocation;
  hash: Buffer;
  dests: number[];
}

/** Chunks of one pack read with one pread: [offset, offset + length) of the pack. */
export interface PlannedExtent {
  packName: string;
  offset: number;
  length: number;
  /** decoded bytes of its chunks */
  rawBytes: number;
  chunks: PlannedChunk[];
  /** the restore window (restore-plan.ts) whose blocks it fills */
  window?: number;
}

export interface ExtentLimits {
  /** stored bytes per read */
  maxBytes: number;
  /** decoded bytes per extent (bounds the memory of one job) */
  maxRawBytes: number;
  /** unused bytes read between two chunks rather than split the read */
  maxGap: number;
}

/** The distinct chunks the given blocks need, each with every block it fills. */
export function chunksOf(blocks: Iterable<number>, hashes: Buffer, locate: (block: number) => ChunkLocation | undefined): PlannedChunk[] {
  const byPlace = new Map<number, PlannedChunk>();
  for (const b of blocks) {
    const loc = locate(b);
    if (!loc) continue;
    const key = loc.packId * 2 ** 32 + loc.offset;
    const c = byPlace.get(key);
    if (c) c.dests.push(b);
    else byPlace.set(key, { loc, hash: hashes.subarray(b * 32, b * 32 + 32), dests: [b] });
  }
  return [...byPlace.values()];
}

/** Cut chunks into extents: packs by the first block they fill, chunks by offset in their pack. */
export function planExtents(chunks: PlannedChunk[], limits: ExtentLimits): PlannedExtent[] {
  const packs = new Map<number, { first: number; chunks: PlannedChunk[] }>();
  for (const c of chunks) {
    const first = c.dests[0]!; // blocks are added in ascending order
    const p = packs.get(c.loc.packId);
    if (p) {
      p.chunks.push(c);
      p.first = Math.min(p.first, first);
    } else packs.set(c.loc.packId, { first, chunks: [c] });
  }
  const out: PlannedExtent[] = [];
  for (const p of [...packs.values()].sort((a, b) => a.first - b.first)) {
    p.chunks.sort((a, b) => a.loc.offset - b.loc.offset);
    let cur: PlannedExtent | null = null;
    for (const c of p.chunks) {
      const end = c.loc.offset + c.loc.length;
      const fits =
        cur !== null &&
        c.loc.offset - (cur.offset + cur.length) <= limits.maxGap &&
        end - cur.offset <= limits.maxBytes &&
        cur.rawBytes + c.loc.rawLength <= limits.maxRawBytes;
      if (cur && fits) {
        cur.length = end - cur.offset;
        cur.rawBytes += c.loc.rawLength;
        cur.chunks.push(c);
      } else {
        cur = { packName: c.loc.packName, offset: c.loc.offset, length: c.loc.length, rawBytes: c.loc.rawLength, chunks: [c] };
        out.push(cur);
      }
    }
  }
  return out;
}

/** The extent's chunk hashes in one buffer of their own, to post to a worker. */
export function hashesOf(x: PlannedExtent): Uint8Array {
  const out = new Uint8Array(x.chunks.length * 32);
  x.chunks.forEach((c, k) => out.set(c.hash, k * 32));
  return out;
}
