import { createHash } from 'node:crypto';

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

/** Same, over a packed buffer of 32-byte hashes. */
export function merkleRootPacked(hashes: Buffer): string {
  const leaves: Buffer[] = [];
  for (let o = 0; o < hashes.length; o += 32) leaves.push(hashes.subarray(o, o + 32));
  return merkleRoot(leaves);
}
