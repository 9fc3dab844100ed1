// The restore's plan, made window by window while extents are already being read.
import { describe, expect, it } from 'vitest';
import type { ChunkLocation } from '../../../src/catalog/catalog.js';
import { FLAG_ZERO } from '../../../src/store/manifest.js';
import { RestorePlan } from '../../../src/store/restore-plan.js';

const MIB = 1 << 20;
const BLOCKS = 600; // 1 MiB blocks: windows of 256 blocks
const LIMITS = { maxBytes: 4 * MIB, maxRawBytes: 4 * MIB, maxGap: 0 };

function input(missing: Set<number>) {
  const hashes = Buffer.alloc(BLOCKS * 32);
  for (let i = 0; i < BLOCKS; i++) hashes.writeUInt32BE(i, i * 32);
  const flags = new Uint8Array(BLOCKS);
  for (let i = 0; i < BLOCKS; i += 10) flags[i] = FLAG_ZERO;
  // block i's chunk lies in pack i % 2 (two packs filled in image order)
  const locate = (h: Buffer): ChunkLocation | undefined => {
    const i = h.readUInt32BE(0);
    if (missing.has(i)) return undefined;
    return { packId: i % 2, packName: `p${i % 2}`, offset: Math.floor(i / 2) * MIB, length: MIB, rawLength: MIB, codec: 0 };
  };
  return { hashes, flags, size: BLOCKS * MIB, blockSize: MIB, damaged: new Set([7]), locate };
}

async function drain(plan: RestorePlan): Promise<number[]> {
  const blocks: number[] = [];
  for (let x = await plan.next(); x; x = await plan.next()) for (const c of x.chunks) blocks.push(...c.dests);
  return blocks;
}

describe('RestorePlan', () => {
  it('plans every block but zero and damaged ones once, and hands out extents before the whole plan is made', async () => {
    const plan = new RestorePlan(input(new Set()), LIMITS);
    const running = plan.run(
      () => false,
      () => true,
    );
    const first = await plan.next(); // the first window is ready while later ones are still planned
    expect(first?.chunks[0]?.dests[0]).toBe(1);
    const rest = await drain(plan);
    await running;
    const got = [first!.chunks.flatMap((c) => c.dests), rest].flat().sort((a, b) => a - b);
    const want = Array.from({ length: BLOCKS }, (_, i) => i).filter((i) => i % 10 !== 0 && i !== 7);
    expect(got).toEqual(want);
    expect(plan.holeBytes).toBe((BLOCKS / 10 + 1) * MIB);
  });

  it('stops at a block missing from the index when told to, and leaves it as a hole when not', async () => {
    const refused = new RestorePlan(input(new Set([401])), LIMITS);
    await refused.run(
      () => false,
      () => false,
    );
    expect(refused.missing).toEqual([401]);
    expect(Math.max(...(await drain(refused)))).toBeLessThan(256); // the window holding 401 is never planned

    const zeroed = new RestorePlan(input(new Set([401])), LIMITS);
    await zeroed.run(
      () => false,
      () => true,
    );
    expect(zeroed.missing).toEqual([401]);
    const blocks = await drain(zeroed);
    expect(blocks).not.toContain(401);
    expect(blocks).toContain(599);
  });
});
