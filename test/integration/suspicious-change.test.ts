// Ransomware shows as a burst of changed blocks that turn incompressible. A host of text whose
// disk is suddenly 30% rewritten by `openssl enc` gets the suspicious-change alarm and a
// suspect point, and drills and failovers (final sync or not) use the point before it; a host
// whose normal changes are random data gets no alarm from the same rate of random writes.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProc } from '../helpers/cluster.js';
import type { RunView } from '../../src/protocol/recovery.js';
import { Cluster, backupOk, points, waitFor } from './support.js';

const BLOCK = 65536;
const BLOCKS = 128; // 8 MiB
const HIGH = 5;

/** A whole block of text, different for each `seed` (it compresses well and is new to the store). */
function textBlock(seed: string): Buffer {
  const line = `${seed}: the quick brown fox jumps over the lazy dog, log line of an ordinary day\n`;
  return Buffer.from(line.repeat(Math.ceil(BLOCK / line.length)).slice(0, BLOCK));
}

function writeBlocks(file: string, first: number, count: number, data: (i: number) => Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (let i = first; i < first + count; i++) fs.writeSync(fd, data(i), 0, BLOCK, i * BLOCK);
  } finally {
    fs.closeSync(fd);
  }
}

/** Encrypt the first `share` of the disk in place with openssl, as ransomware would. */
function encryptInPlace(file: string, share: number): void {
  const bytes = Math.round(BLOCKS * share) * BLOCK;
  const plain = fs.readFileSync(file).subarray(0, bytes);
  const cipher = execFileSync('openssl', ['enc', '-aes-256-ctr', '-pbkdf2', '-pass', 'pass:ransom', '-nosalt'], { input: plain, maxBuffer: 64 << 20 });
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, cipher, 0, bytes, 0);
  fs.closeSync(fd);
}

interface AlarmRow {
  rule: string;
  host: string | null;
  state: string;
}

describe('suspicious change', () => {
  const c = new Cluster();
  let hub: HubProc;
  const textDisk = c.file('text.img');
  const randomDisk = c.file('random.img');

  beforeAll(async () => {
    hub = await c.startHub();
    fs.writeFileSync(textDisk, Buffer.alloc(BLOCKS * BLOCK));
    writeBlocks(textDisk, 0, BLOCKS, (i) => textBlock(`initial ${i}`));
    fs.writeFileSync(randomDisk, randomBytes(BLOCKS * BLOCK));
    await c.startAgent(hub, 'text-01', await hub.addHost('text-01'), { disk: textDisk });
    await c.startAgent(hub, 'media-01', await hub.addHost('media-01'), { disk: randomDisk });
    await backupOk(hub, 'text-01');
    await backupOk(hub, 'media-01');
    // an ordinary week: a few blocks of each disk change between backups, text on one, random data on the other
    for (let day = 1; day <= 4; day++) {
      writeBlocks(textDisk, HIGH * day, HIGH, (i) => textBlock(`day ${day} block ${i}`));
      writeBlocks(randomDisk, HIGH * day, HIGH, () => randomBytes(BLOCK));
      await backupOk(hub, 'text-01');
      await backupOk(hub, 'media-01');
    }
    // a full verify proves the ordinary points clean
    expect((await hub.run(['verify', 'text-01'])).code).toBe(0);
  }, 120_000);

  afterAll(() => c.stop());

  const alarms = () => hub.json<AlarmRow[]>(['alarms']);

  it('records the change rate and incompressible share of each point, and marks none of an ordinary week suspect', async () => {
    for (const host of ['text-01', 'media-01']) {
      const list = await points(hub, host);
      expect(list).toHaveLength(5);
      expect(list.every((p) => !p.suspect)).toBe(true);
      expect(list[1]!.change!.rate).toBeCloseTo(HIGH / BLOCKS, 2);
      expect(list[1]!.change!.incompressibleShare).toBe(host === 'text-01' ? 0 : 1);
    }
    expect((await alarms()).filter((a) => a.rule === 'suspicious-change')).toEqual([]);
  });

  it('raises suspicious-change and marks the point suspect when 30% of a text disk is rewritten with openssl enc', async () => {
    encryptInPlace(textDisk, 0.3);
    await backupOk(hub, 'text-01');
    const list = await points(hub, 'text-01');
    const last = list[list.length - 1]!;
    expect(last.suspect).toBe(true);
    expect(last.change!.incompressibleShare).toBeGreaterThan(0.9);
    const alarm = await waitFor('suspicious-change alarm', async () => (await alarms()).find((a) => a.rule === 'suspicious-change' && a.host === 'text-01'));
    expect(alarm.state).toBe('firing');
    const shown = await hub.run(['points', 'text-01']);
    expect(shown.stdout.trim().split('\n').pop()).toMatch(/\bS[V·]/);
  });

  it('offers the point before the suspect one to a drill and says why the newest is not used', async () => {
    expect((await hub.run(['verify', 'text-01'])).code).toBe(0); // the suspect point reads fine: it is still not clean
    const list = await points(hub, 'text-01');
    const before = list[list.length - 2]!;
    const r = await hub.run(['drill', 'text-01', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as RunView;
    expect(run.hosts[0]!.points[0]!.pointId).toBe(before.id);
    expect(run.issues.join('\n')).toMatch(new RegExp(`point ${before.id} .*last clean.*suspicious change at point ${list[list.length - 1]!.id}`));
  }, 60_000);

  it('raises nothing for a host whose normal changes are random when the same 30% of its disk is rewritten with random data', async () => {
    writeBlocks(randomDisk, 0, Math.round(BLOCKS * 0.3), () => randomBytes(BLOCK));
    await backupOk(hub, 'media-01');
    const list = await points(hub, 'media-01');
    const last = list[list.length - 1]!;
    expect(last.change!.rate).toBeGreaterThan(0.25);
    expect(last.suspect).toBe(false);
    expect((await alarms()).filter((a) => a.rule === 'suspicious-change' && a.host === 'media-01')).toEqual([]);
  });

  it('fails over to the point before the suspect one, not to the final sync, and says why in the pre-check and the report', async () => {
    const list = await points(hub, 'text-01');
    const before = list[list.length - 2]!;
    const suspect = list[list.length - 1]!;
    const pre = await hub.run(['failover', 'text-01']);
    expect(pre.code).toBe(2); // no --confirm: the pre-check only
    expect(pre.stdout).toMatch(new RegExp(`note: text-01/disk: point ${before.id} .* last clean .*suspicious change at point ${suspect.id}`));
    const r = await hub.run(['failover', 'text-01', '--confirm', 'text-01', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as RunView;
    expect(run.steps.find((s) => s.kind === 'final-sync')!.state).toBe('succeeded');
    expect(run.hosts[0]!.points[0]!.pointId).toBe(before.id);
    expect(run.issues.join('\n')).toMatch(new RegExp(`final sync point \\d+ not used; point\\(s\\) ${suspect.id}.* are suspect, so the failover restores point ${before.id}`));
  }, 60_000);

  it('clears a suspect mark an operator judged benign, only with a note, and audits it', async () => {
    const suspect = (await points(hub, 'text-01')).find((p) => p.suspect)!;
    const bare = await hub.run(['points', 'text-01', '--clear-suspect', String(suspect.id)]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--clear-suspect needs --note');
    const r = await hub.run(['points', 'text-01', '--clear-suspect', String(suspect.id), '--note', 'nightly archive job']);
    expect(r.code, r.stderr).toBe(0);
    expect((await points(hub, 'text-01')).find((p) => p.id === suspect.id)!.suspect).toBe(false);
    const audit = await hub.json<{ action: string; details: { note?: string } }[]>(['audit']);
    expect(audit.find((a) => a.action === 'points.clearSuspect')!.details.note).toBe('nightly archive job');
  });
});
