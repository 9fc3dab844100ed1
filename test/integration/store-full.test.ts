// A data directory that fills mid-backup: the backup fails with one line, the hub keeps
// serving and raises store-full, earlier points still restore, and the next backup that fits
// succeeds. Needs root to mount a small tmpfs; skipped without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backup, backupOk, randomImage, restoredSha, sha256File } from './support.js';

describe('a hub whose data directory fills mid-backup', () => {
  const c = new Cluster();
  let hub: HubProc;
  let mounted = false;
  let small: string;

  beforeAll(async () => {
    fs.mkdirSync(c.hubData, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=30m,mode=0700', 'tmpfs', c.hubData], { stdio: 'ignore' });
      mounted = true;
    } catch {
      return;
    }
    hub = await c.startHub(new HubProc(c.hubData, [], { http: 'off' }));
    small = c.file('small.img');
    makeImage(small, 4);
    const big = c.file('big.img');
    randomImage(big, 48);
    await c.startAgent(hub, 'h1', await hub.addHost('h1'), { disk: small });
    await c.startAgent(hub, 'h2', await hub.addHost('h2'), { disk: big });
    await backupOk(hub, 'h1');
  }, 120_000);

  afterAll(async () => {
    if (mounted) {
      await hub?.stop();
      execFileSync('umount', ['-l', c.hubData], { stdio: 'ignore' });
    }
    await c.stop();
  });

  it('fails the backup that does not fit, keeps serving and raises store-full; earlier points restore and the next backup succeeds', async (ctx) => {
    if (!mounted) return ctx.skip();
    const j = await backup(hub, 'h2', true);
    expect(j.state).toBe('failed');
    expect(j.error).toMatch(/store is full/);
    expect(hub.proc.exitCode).toBeNull();
    const alarms = await hub.json<{ rule: string; state: string }[]>(['alarms']);
    expect(alarms.some((a) => a.rule === 'store-full' && a.state === 'firing')).toBe(true);
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out/h1.img'))).toBe(sha256File(small));
    await backupOk(hub, 'h1', true);
    expect(hub.proc.exitCode).toBeNull();
  });
});
