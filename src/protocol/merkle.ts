import { createHash } from 'node:crypto';
import { sha256Of64 } from './sha256-pair.js';

/**
 * Merkle root over a volume's block hashes (sha256 leaves, in block order): each level
 * hashes pairs left||right; an odd last node is carried up unchanged. Empty volume: sha256("").
 */
export function merkleRoot(leaves: Buffer[]): string {
  if (leaves.length === 0) return createHash('sha256').digest('hex');
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? createHash('sha256').update(level[i]!).update(right).digest() : level[i]!);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

/** Same, over a packed buffer of 32-byte hashes (each level packed too: a pair is 64 adjacent bytes). */
export function merkleRootPacked(hashes: Buffer): string {
  if (hashes.length > 0 && hashes.length % 32 === 0) {
    let level = hashes;
    let n = hashes.length / 32;
    while (n > 1) {
      const m = Math.ceil(n / 2);
      const next = Buffer.allocUnsafe(m * 32);
      for (let i = 0; i + 1 < n; i += 2) sha256Of64(level, i * 32, next, i * 16);
      if (n % 2 === 1) level.copy(next, (m - 1) * 32, (n - 1) * 32, n * 32);
      level = next;
      n = m;
    }
    return level.subarray(0, 32).toString('hex');
  }
  const leaves: Buffer[] = [];
  for (let o = 0; o < hashes.length; o += 32) leaves.push(hashes.subarray(o, o + 32));
  return merkleRoot(leaves);
}
