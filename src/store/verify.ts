// Verify recovery points: rebuild each point's block map, check its Merkle root, and re-read
// and re-hash its chunks (all, or a sample). A chunk shared by several points is read once.
// Every lookup and read happens in one synchronous step, so gc cannot move a chunk between
// them; the loop yields between steps so the hub keeps serving.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { VerifyProblem } from '../catalog/schedule-store.js';
import { merkleRootPacked } from '../protocol/merkle.js';
import type { BlockStore } from './block-store.js';
import { StoreError } from './errors.js';
import { FLAG_ZERO } from './manifest.js';
import { chainMetadataProblems } from './point-check.js';

export interface PointToVerify {
  id: number;
  volume: string;
}

export interface PointVerification {
  pointId: number;
  volume: string;
  ok: boolean;
  chunksChecked: number;
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  /** percentage of distinct chunks to read, 0 < pct <= 100 (default 100) */
  samplePct?: number;
  /** picks the sample; a fixed seed picks the same chunks again */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

const MAX_PROBLEMS_PER_POINT = 50;
const STEP = 256;

/** Deterministic sampling: a chunk is in the sample when its hash, salted, falls under pct. */
function inSample(hash: Buffer, pct: number, seed: number): boolean {
  if (pct >= 100) return true;
  return ((hash.readUInt32LE(0) ^ seed) >>> 0) % 10_000 < pct * 100;
}

export async function verifyPoints(store: BlockStore, points: readonly PointToVerify[], o: VerifyOptions = {}): Promise<PointVerification[]> {
  const pct = o.samplePct ?? 100;
  const seed = (o.seed ?? Math.floor(Math.random() * 0xffffffff)) >>> 0;
  const results: PointVerification[] = [];
  /** distinct chunk → the first (point, block) that uses it */
  const uses = new Map<string, { result: PointVerification; block: number; hash: Buffer }[]>();
  for (const p of points) {
    const r: PointVerification = { pointId: p.id, volume: p.volume, ok: true, chunksChecked: 0, problems: [] };
    results.push(r);
    const shape = chainMetadataProblems((id) => store.catalog.point(id), (id) => store.catalog.manifest(id), p.id);
    if (shape.length > 0) {
      r.ok = false;
      for (const m of shape.slice(0, MAX_PROBLEMS_PER_POINT)) r.problems.push({ volume: p.volume, block: null, chunk: null, message: m });
      continue;
    }
    let map;
    try {
      map = store.blockMap(p.id);
    } catch (e) {
      r.ok = false;
      r.problems.push({ volume: p.volume, block: null, chunk: null, message: (e as Error).message });
      continue;
    }
    if (merkleRootPacked(map.hashes) !== map.point.merkleRoot) {
      r.ok = false;
      r.problems.push({ volume: p.volume, block: null, chunk: null, message: `point ${p.id}: the manifests no longer give the recorded Merkle root` });
    }
    const seen = new Set<string>();
    for (let i = 0; i < map.point.blockCount; i++) {
      if (map.flags[i]! & FLAG_ZERO) continue;
      const hash = map.hashes.subarray(i * 32, i * 32 + 32);
      // a sample never clears damage: a damaged chunk stays a problem until a full verify reads it good
      const damaged = pct < 100 && store.damage.has(hash);
      if (!damaged && !inSample(hash, pct, seed)) continue;
      const hex = hash.toString('hex');
      if (seen.has(hex)) continue;
      seen.add(hex);
      if (damaged) {
        r.ok = false;
        r.chunksChecked++;
        if (r.problems.length < MAX_PROBLEMS_PER_POINT) r.problems.push({ volume: p.volume, block: i, chunk: hex.slice(0, 16), message: 'chunk is marked damaged (a full verify or the next backup of this block clears it)' });
        continue;
      }
      const list = uses.get(hex) ?? [];
      list.push({ result: r, block: i, hash: Buffer.from(hash) });
      uses.set(hex, list);
    }
  }
  const total = uses.size;
  let done = 0;
  for (const [hex, list] of uses) {
    if (o.signal?.aborted) throw new StoreError('verify cancelled');
    const first = list[0]!;
    let problem: string | null = null;
    try {
      await store.readChunkAsync(first.hash, `volume ${first.result.volume} block ${first.block}`, o.signal);
      if (pct >= 100) store.damage.clear(first.hash);
    } catch (e) {
      problem = e instanceof StoreError ? e.message : String(e);
    }
    for (const u of list) {
      u.result.chunksChecked++;
      if (problem === null) continue;
      u.result.ok = false;
      if (u.result.problems.length < MAX_PROBLEMS_PER_POINT) {
        const message = problem.replace(/^volume \S+ block \d+: /, '');
        u.result.problems.push({ volume: u.result.volume, block: u.block, chunk: hex.slice(0, 16), message });
      }
    }
    if (++done % STEP === 0) {
      o.onProgress?.(done, total);
      await yieldToLoop();
    }
  }
  o.onProgress?.(total, total);
  return results;
}
