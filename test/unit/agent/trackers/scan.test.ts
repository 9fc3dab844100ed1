// The scan tracker over a real file with real worker threads (resolved from dist/: build first).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanPool, scanVolume, type ScannedRange, type VolumeScan } from '../../../../agent/trackers/scan.js';

const BS = 4096;
// enough blocks that the scan is split over every worker of the pool
const BLOCKS = 1000;

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

function writeBlocks(file: string, at: Record<number, Buffer>): void {
  const fd = fs.openSync(file, 'r+');
  for (const [i, data] of Object.entries(at)) fs.writeSync(fd, data, 0, data.length, Number(i) * BS);
  fs.closeSync(fd);
}

/** sha256 per changed block, in the order of `changed` */
function shasOf(scan: VolumeScan): Buffer[] {
  return scan.changed.map((_, k) => scan.sha.subarray(k * 32, k * 32 + 32));
}

describe('scanVolume', () => {
  let dir: string;
  let file: string;
  const pool = new ScanPool(2);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-scan-'));
    file = path.join(dir, 'disk.img');
    const img = randomBytes(BLOCKS * BS);
    img.fill(0, 10 * BS, 13 * BS); // blocks 10, 11, 12 are all zero
    fs.writeFileSync(file, img);
  });

  afterAll(async () => {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const scan = (p: string, prev: Buffer | null, wantSha = true) => scanVolume(pool, p, fs.statSync(p).size, BS, prev, wantSha);

  it('counts every block as changed when there is no base, with the sha256 of each', async () => {
    const s = await scan(file, null);
    const img = fs.readFileSync(file);
    expect(s.blockCount).toBe(BLOCKS);
    expect(s.changed).toEqual(Array.from({ length: BLOCKS }, (_, i) => i));
    expect(s.xxh.length).toBe(BLOCKS * 8);
    expect(s.bytesRead).toBe(BLOCKS * BS);
    shasOf(s).forEach((h, k) => expect(h.equals(sha(img.subarray(k * BS, (k + 1) * BS))), `block ${k}`).toBe(true));
  });

  it('flags all-zero blocks as zero and no others', async () => {
    const s = await scan(file, null);
    const zeros = s.changed.filter((_, k) => s.zero[k] === 1);
    expect(zeros).toEqual([10, 11, 12]);
  });

  it('reports only the rewritten blocks against the previous xxh list', async () => {
    const base = await scan(file, null);
    const copy = path.join(dir, 'rewritten.img');
    fs.copyFileSync(file, copy);
    const fresh = { 3: randomBytes(BS), 500: randomBytes(BS), 999: randomBytes(BS), 11: randomBytes(BS), 700: Buffer.alloc(BS) };
    writeBlocks(copy, fresh);
    const s = await scan(copy, base.xxh);
    expect(s.changed).toEqual([3, 11, 500, 700, 999]);
    expect(Array.from(s.zero)).toEqual([0, 0, 0, 1, 0]); // block 700 became zero
    expect(shasOf(s).map((h) => h.toString('hex'))).toEqual([3, 11, 500, 700, 999].map((i) => sha(fresh[i as keyof typeof fresh]).toString('hex')));
    // unchanged blocks keep their xxh
    expect(s.xxh.subarray(0, 3 * 8).equals(base.xxh.subarray(0, 3 * 8))).toBe(true);
  });

  it('reports nothing changed when the file is unchanged', async () => {
    const base = await scan(file, null);
    const s = await scan(file, base.xxh);
    expect(s.changed).toEqual([]);
    expect(s.sha.length).toBe(0);
    expect(s.xxh.equals(base.xxh)).toBe(true);
  });

  it('handles a size that is not a multiple of the block size: the last block is short', async () => {
    const odd = path.join(dir, 'odd.img');
    const img = randomBytes(7 * BS + 123);
    fs.writeFileSync(odd, img);
    const s = await scan(odd, null);
    expect(s.blockCount).toBe(8);
    expect(s.bytesRead).toBe(img.length);
    expect(shasOf(s)[7]!.equals(sha(img.subarray(7 * BS)))).toBe(true);

    // the short tail rewritten: only it changes; rewritten to zeros: it is flagged zero
    const tail = randomBytes(123);
    writeBlocks(odd, { 7: tail });
    const s2 = await scan(odd, s.xxh);
    expect(s2.changed).toEqual([7]);
    expect(shasOf(s2)[0]!.equals(sha(tail))).toBe(true);
    writeBlocks(odd, { 7: Buffer.alloc(123) });
    const s3 = await scan(odd, s2.xxh);
    expect(s3.changed).toEqual([7]);
    expect(Array.from(s3.zero)).toEqual([1]);
    expect(shasOf(s3)[0]!.equals(sha(Buffer.alloc(123)))).toBe(true);
  });

  it('hands over every range in order, each with its changed blocks, before the scan resolves', async () => {
    const base = await scan(file, null);
    const copy = path.join(dir, 'ranged.img');
    fs.copyFileSync(file, copy);
    writeBlocks(copy, { 2: randomBytes(BS), 400: randomBytes(BS), 998: randomBytes(BS) });
    const ranges: ScannedRange[] = [];
    let resolved = false;
    const scanning = scanVolume(pool, copy, fs.statSync(copy).size, BS, base.xxh, true, (r) => {
      expect(resolved).toBe(false);
      ranges.push(r);
    }).then((s) => ((resolved = true), s));
    const s = await scanning;
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges[0]!.start).toBe(0);
    ranges.forEach((r, k) => k > 0 && expect(r.start).toBe(ranges[k - 1]!.end));
    expect(ranges.at(-1)!.end).toBe(BLOCKS);
    expect(ranges.flatMap((r) => Array.from(r.changed))).toEqual([2, 400, 998]);
    expect(Buffer.concat(ranges.map((r) => Buffer.from(r.sha))).equals(s.sha)).toBe(true);
    expect(Buffer.concat(ranges.map((r) => Buffer.from(r.xxh))).equals(s.xxh)).toBe(true);
  });

  it('skips sha256 when a live watch does not need it', async () => {
    const s = await scan(file, null, false);
    expect(s.changed.length).toBe(BLOCKS);
    expect(s.sha.length).toBe(0);
  });
});
