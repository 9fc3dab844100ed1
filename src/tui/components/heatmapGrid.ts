// Changed-block bitmap math for the heatmap: decode, count ranges, shade cells.
import type { DirtyBitmapView } from '../../protocol/operator.js';

export const SHADES = ['·', '░', '▒', '▓', '█'] as const;

export function decodeBitmap(dirty: DirtyBitmapView): Uint8Array {
  return new Uint8Array(Buffer.from(dirty.bitmap, 'base64'));
}

const POP = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  return n;
});

/** Dirty blocks in [from, to): bit i is LSB-first in byte i>>3. */
export function countDirty(bits: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  while (i < to && (i & 7) !== 0) { n += (bits[i >> 3]! >> (i & 7)) & 1; i++; }
  while (i + 8 <= to) { n += POP[bits[i >> 3] ?? 0]!; i += 8; }
  while (i < to) { n += ((bits[i >> 3] ?? 0) >> (i & 7)) & 1; i++; }
  return n;
}

/** Share of dirty blocks per cell; cells cover equal runs of blocks, at least one each. */
export function cellShares(bits: Uint8Array, blockCount: number, maxCells: number): number[] {
  const cells = Math.max(0, Math.min(maxCells, blockCount));
  const shares: number[] = [];
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * blockCount) / cells);
    const to = Math.floor(((c + 1) * blockCount) / cells);
    shares.push(to > from ? countDirty(bits, from, to) / (to - from) : 0);
  }
  return shares;
}

/** 0 → clean; any dirty block shows at least the lightest shade. */
export function shadeIndex(share: number): number {
  if (share <= 0) return 0;
  if (share >= 1) return 4;
  return Math.min(4, 1 + Math.floor(share * 4));
}
