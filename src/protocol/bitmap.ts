// Changed-block bitmaps: bit i (LSB first within byte i >> 3) set = block i changed.

export class ChangedBlockBitmap {
  readonly bits: Buffer;
  constructor(
    readonly blockCount: number,
    bits?: Buffer,
  ) {
    this.bits = bits ?? Buffer.alloc(Math.ceil(blockCount / 8));
  }
  set(i: number): void {
    this.bits[i >> 3]! |= 1 << (i & 7);
  }
  has(i: number): boolean {
    return ((this.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }
  count(): number {
    let n = 0;
    for (let i = 0; i < this.blockCount; i++) if (this.has(i)) n++;
    return n;
  }
  static all(blockCount: number): ChangedBlockBitmap {
    const b = new ChangedBlockBitmap(blockCount);
    for (let i = 0; i < blockCount; i++) b.set(i);
    return b;
  }
}

/** Share of set bits per cell when `blockCount` blocks are spread over `cells` cells. */
export function bitmapDensity(bits: Buffer, blockCount: number, cells: number): number[] {
  const out = new Array<number>(cells).fill(0);
  if (blockCount === 0 || cells === 0) return out;
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * blockCount) / cells);
    const to = Math.max(from + 1, Math.floor(((c + 1) * blockCount) / cells));
    let set = 0;
    for (let i = from; i < to && i < blockCount; i++) if (((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0) set++;
    out[c] = set / (to - from);
  }
  return out;
}
