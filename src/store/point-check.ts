// Cross-checks of a point's recorded metadata, run by verify and before every restore: size,
// block size and block count agree; the manifest is whole entries within the volume; a full
// point lists every block; a delta keeps its parent's block size. A flipped bit in any of them
// would otherwise restore an image of the wrong shape that still passes its Merkle check.
import type { PointRow } from '../catalog/catalog.js';
import { ENTRY_BYTES, manifestEntries } from './manifest.js';

const MIN_BLOCK = 512;
const MAX_BLOCK = 64 * 1024 * 1024;

/** What is wrong with a point's metadata (empty when nothing is). */
export function pointMetadataProblems(p: PointRow, manifest: Buffer, parent: PointRow | undefined): string[] {
  const out: string[] = [];
  const bs = p.blockSize;
  if (!Number.isSafeInteger(bs) || bs < MIN_BLOCK || bs > MAX_BLOCK || (bs & (bs - 1)) !== 0) out.push(`block size ${bs} is not a power of two between ${MIN_BLOCK} and ${MAX_BLOCK}`);
  if (!Number.isSafeInteger(p.size) || p.size < 0) out.push(`size ${p.size} is not a byte count`);
  if (out.length === 0 && p.blockCount !== Math.ceil(p.size / bs)) out.push(`block count ${p.blockCount} does not fit size ${p.size} at block size ${bs} (want ${Math.ceil(p.size / bs)})`);
  if (manifest.length % ENTRY_BYTES !== 0) out.push(`manifest length ${manifest.length} is not a whole number of ${ENTRY_BYTES}-byte entries`);
  const entries = Math.floor(manifest.length / ENTRY_BYTES);
  if (p.type === 'full' && entries !== p.blockCount) out.push(`full point lists ${entries} blocks of ${p.blockCount}`);
  if (entries !== p.changedBlocks && p.type === 'incremental') out.push(`manifest lists ${entries} blocks, the point records ${p.changedBlocks} changed`);
  let beyond = 0;
  for (const e of manifestEntries(manifest)) if (e.index >= p.blockCount) beyond++;
  if (beyond > 0) out.push(`${beyond} manifest entr${beyond === 1 ? 'y lies' : 'ies lie'} beyond block ${p.blockCount - 1}`);
  if (p.type === 'incremental' && parent && parent.blockSize !== bs) out.push(`block size ${bs} differs from its parent ${parent.id}'s ${parent.blockSize}`);
  return out;
}

/** The problems of a point and every point of its chain, each naming its point. */
export function chainMetadataProblems(points: (id: number) => PointRow | undefined, manifest: (id: number) => Buffer, pointId: number): string[] {
  const out: string[] = [];
  let p = points(pointId);
  while (p) {
    const parent = p.type === 'incremental' && p.parentId !== null ? points(p.parentId) : undefined;
    for (const m of pointMetadataProblems(p, manifest(p.id), parent)) out.push(`point ${p.id}: ${m}`);
    if (!parent) break;
    p = parent;
  }
  return out;
}
