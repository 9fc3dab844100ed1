// A real hub and agent with their packs in S3 (s3rver as a process, and a strict in-process
// server for faults it cannot make): encrypted backups, cold-cache restores, copies, and
// failures that commit nothing.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, HubProc, drc, makeImage, sha256File, waitConnected, waitFor } from '../helpers/cluster.js';
import { S3PackStore } from '../../src/store/s3-pack-store.js';
import { S3rverProc, StrictS3Server } from '../helpers/s3-servers.js';
import { Cluster, PinnedHubProc, backup, backupOk, freePort, points, randomImage, restore, restoredSha } from './support.js';

function writeConfig(c: Cluster, name: string, endpoint: string, extra = ''): string {
  const creds = c.file('s3-credentials');
  fs.writeFileSync(creds, 'aws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
  fs.writeFileSync(c.file('pass'), 'correct horse battery staple\n');
  const file = c.file(name);
  fs.writeFileSync(
    file,
    `store:
  type: s3
  endpoint: ${endpoint}
  bucket: drc
  prefix: hub1
  path_style: true
  credentials_file: ${creds}
  encryption:
    passphrase_file: ${c.file('pass')}
copies:
  - name: offline
    type: directory
    path: ${c.file('copy')}
${extra}`,
  );
  return file;
}

/** Start a hub that is expected to refuse to start; its one-line complaint. */
async function refusedStart(dataDir: string, config: string, agents?: string): Promise<{ code: number | null; lines: string[] }> {
  const hub = new HubProc(dataDir, ['--config', config], { http: 'off', ...(agents ? { agents } : {}) });
  const err = await hub.start().then(
    () => null,
    (e: Error) => e,
  );
  if (!err) {
    await hub.stop();
    throw new Error('the hub started');
  }
  await waitFor('hub exit', () => hub.proc.exitCode !== null);
  return { code: hub.proc.exitCode, lines: hub.log.trim().split('\n').filter((l) => l.startsWith('drc serve')) };
}

describe('a hub with its store in S3 (s3rver)', () => {
  const c = new Cluster();
  const s3 = new S3rverProc(c.file('s3'));
  let hub: HubProc;
  let config: string;
  const disk = c.file('disk.img');

  beforeAll(async () => {
    await s3.start();
    config = writeConfig(
      c,
      'drc.yaml',
      s3.endpoint,
      `  - name: trim
    type: s3
    endpoint: ${s3.endpoint}
    bucket: drc
    prefix: trim
    path_style: true
    credentials_file: ${c.file('s3-credentials')}
    keep:
      keep_last: 1
`,
    );
    makeImage(disk, 24);
    // the agents' port stays across the hub restarts below, so agents come back by themselves
    hub = await c.startHub(new PinnedHubProc(c.hubData, await freePort(), ['--config', config]));
    const token = await hub.addHost('h1');
    await c.startAgent(hub, 'h1', token, { disk });
  }, 60_000);

  afterAll(async () => {
    await c.stop();
    await s3.kill();
  });

  it('backs up encrypted (no plain text in any object) and restores byte-identical from a cold cache', async () => {
    await backupOk(hub, 'h1', true);
    const objects = fs.readdirSync(c.file('s3'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('_S3rver_object'));
    expect(objects.some((e) => e.parentPath.includes(path.join('hub1', 'packs')))).toBe(true);
    for (const o of objects) expect(fs.readFileSync(path.join(o.parentPath, o.name)).includes('drc test line')).toBe(false);
    // a new hub process with an empty cache reads every pack from S3
    await hub.stop();
    fs.rmSync(path.join(c.hubData, 'store', 'cache'), { recursive: true, force: true });
    await hub.start();
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out.img'))).toBe(sha256File(disk));
  }, 60_000);

  it('copies points to a directory target, incrementally, and lists which copies hold each point', async () => {
    const first = await hub.run(['copies', 'run', 'offline', '--wait', '--json', '--config', config]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ state: 'succeeded' });
    const again = await hub.json<{ points: number; packs: number }>(['copies', 'run', 'offline', '--wait', '--config', config]);
    expect(again).toMatchObject({ points: 0, packs: 0 });
    const pts = await points(hub, 'h1');
    expect(pts.every((p) => p.copies?.includes('offline'))).toBe(true);
    const list = await hub.json<{ name: string; pointsHeld: number; pointsTotal: number; lagSeconds: number }[]>(['copies', '--config', config]);
    expect(list.find((x) => x.name === 'offline')).toEqual(expect.objectContaining({ pointsHeld: pts.length, pointsTotal: pts.length, lagSeconds: 0 }));
  }, 60_000);

  it('keeps on an S3 copy only the points its keep rules keep, deleting the objects of the ones let go', async () => {
    const copyStore = new S3PackStore({ endpoint: s3.endpoint, bucket: 'drc', prefix: 'trim/', region: 'us-east-1', pathStyle: true, credentialsFile: null }, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    try {
      expect(await hub.json(['copies', 'run', 'trim', '--wait', '--config', config])).toMatchObject({ state: 'succeeded', points: 1, pruned: 0 });
      const [before] = await copyStore.list('points/');
      // the first 2 MiB change: a second point the copy keeps instead of the first
      fs.writeFileSync(disk, randomBytes(2 * 1024 * 1024), { flag: 'r+' });
      await waitConnected(hub, 'h1');
      await backupOk(hub, 'h1');
      expect(await hub.json(['copies', 'run', 'trim', '--wait', '--config', config])).toMatchObject({ state: 'succeeded', points: 1, pruned: 1 });
      const after = await copyStore.list('points/');
      expect(after).toHaveLength(1);
      expect(after[0]!.name).not.toBe(before!.name);
      expect(await copyStore.stat(before!.name)).toBeNull();
    } finally {
      copyStore.close();
    }
  }, 60_000);

  it('verifies every chunk read back from S3, and gc leaves the store restorable', async () => {
    fs.writeFileSync(disk, Buffer.alloc(4 * 1024 * 1024, 7), { flag: 'r+' });
    await waitConnected(hub, 'h1'); // the agent comes back by itself after the hub restart above
    await backupOk(hub, 'h1');
    const v = await hub.json<{ ok: boolean; points: { ok: boolean; chunksChecked: number }[] }>(['verify']);
    expect(v.ok).toBe(true);
    expect(v.points.every((p) => p.ok && p.chunksChecked > 0)).toBe(true);
    const g = await hub.run(['gc', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out-gc.img'))).toBe(sha256File(disk));
  }, 120_000);

  it('fails the backup with one line and commits nothing when the S3 server dies mid-upload', async () => {
    const big = c.file('big.img');
    randomImage(big, 96);
    const token = await hub.addHost('h2');
    await c.startAgent(hub, 'h2', token, { disk: big });
    const job = backup(hub, 'h2', true);
    // kill the server once the first sealed pack of this backup has gone up
    const packsBefore = fs.readdirSync(path.join(c.file('s3'), 'drc', 'hub1', 'packs')).length;
    await waitFor('a pack upload', () => fs.readdirSync(path.join(c.file('s3'), 'drc', 'hub1', 'packs')).length > packsBefore, 60_000);
    await s3.kill();
    const j = await job;
    expect(j.state).toBe('failed');
    expect(j.error).toMatch(/S3 put s3:\/\/drc\/hub1\/packs\/.*ECONNREFUSED|S3 .*(socket|reset|refused)/i);
    expect(j.error).not.toContain('\n');
    expect(await points(hub, 'h2')).toEqual([]);
    // the server comes back: the next backup stores and restores
    await s3.start();
    await backupOk(hub, 'h2', true);
    expect(await restoredSha(hub, 'h2', 'disk', 'latest', c.file('out2.img'))).toBe(sha256File(big));
  }, 120_000);

  it('fails a cold-cache restore with one line when the S3 server dies mid-restore, and leaves no image', async () => {
    await hub.stop();
    fs.rmSync(path.join(c.hubData, 'store', 'cache'), { recursive: true, force: true });
    await hub.start();
    const out = c.file('mid-restore.img');
    const job = restore(hub, 'h2', 'disk', 'latest', out);
    await waitFor('a running restore', async () => (await hub.json<{ kind: string; state: string }[]>(['tasks'])).some((j) => j.kind === 'restore' && j.state === 'running'), 30_000);
    // the server freezes with the restore's requests in flight, then dies
    s3.proc!.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 500));
    await s3.kill();
    const r = await job.finally(() => s3.start());
    expect(r.code).not.toBe(0);
    const failure = r.stderr.split('\n').filter((l) => l.startsWith('drc:'));
    expect(failure, r.stderr).toEqual([expect.stringMatching(/^drc: restore of h2\/disk failed: volume disk: S3 get s3:\/\/drc\/hub1\/packs\/\S+: (ECONNRESET|ECONNREFUSED)/)]);
    expect(fs.readdirSync(c.dir).filter((f) => f.startsWith('mid-restore'))).toEqual([]);
    expect(await restoredSha(hub, 'h2', 'disk', 'latest', out)).toBe(sha256File(c.file('big.img')));
  }, 120_000);

  it('refuses to start on the store with a wrong passphrase, in one line', async () => {
    await hub.stop();
    const other = c.file('other.yaml');
    fs.writeFileSync(c.file('wrong-pass'), 'not the passphrase\n');
    fs.writeFileSync(other, fs.readFileSync(config, 'utf8').replace(c.file('pass'), c.file('wrong-pass')));
    const r = await refusedStart(path.join(c.dir, 'hub-wrong'), other);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(/^drc serve: cannot start: wrong passphrase: none of the 1 key file\(s\) of s3:\/\/drc\/hub1\/ opens with it$/)]);
    await hub.start();
  }, 60_000);

  it('refuses a second hub on the same store (owner lock)', async () => {
    const r = await refusedStart(path.join(c.dir, 'hub-second'), config);
    expect(r.lines).toEqual([expect.stringMatching(/cannot start: the store at s3:\/\/drc\/hub1\/ is in use by hub drc-hub/)]);
  }, 60_000);

  it('rebuilds a working catalog from the S3 store alone (store recover), and every point restores byte-identical', async () => {
    const fresh = path.join(c.dir, 'recovered');
    const cfg = c.file('recovered.yaml');
    fs.writeFileSync(cfg, `store:\n  type: local\n  encryption:\n    passphrase_file: ${c.file('pass')}\n`);
    const from = `s3://drc/hub1/`;
    const r = await drc(['store', 'recover', '--from', from, '--endpoint', s3.endpoint, '--credentials-file', c.file('s3-credentials'), '--data', fresh, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { hosts: number; points: number; skipped: string[] };
    const before = [...(await points(hub, 'h1')), ...(await points(hub, 'h2'))];
    expect(report).toMatchObject({ hosts: 2, points: before.length });
    // only the pack whose upload the killed server cut off may be left out
    expect(report.skipped.every((x) => x.startsWith('pack '))).toBe(true);
    expect(report).toMatchObject({ hostNames: ['h1', 'h2'] });
    const hub2 = await c.startHub(new HubProc(fresh, ['--config', cfg], { http: 'off' }));
    try {
      // the next step the recovery names: a new agent token for each recovered host
      const agent = new AgentProc(hub2.agentsUrl, 'h1', await hub2.addHost('h1'), { disk }, path.join(c.dir, 'agent-h1-recovered'), ['--watch', '0']);
      c.agents.push(agent);
      agent.start();
      await waitConnected(hub2, 'h1');
      expect(await restoredSha(hub2, 'h1', 'disk', 'latest', c.file('r1.img'))).toBe(sha256File(disk));
      expect(await restoredSha(hub2, 'h2', 'disk', 'latest', c.file('r2.img'))).toBe(sha256File(c.file('big.img')));
    } finally {
      await hub2.stop();
    }
  }, 120_000);

  /** A config whose store is local (in the data directory), opened with `pass`. */
  function localStoreConfig(name: string, pass = c.file('pass')): string {
    const f = c.file(name);
    fs.writeFileSync(f, `store:\n  type: local\n  encryption:\n    passphrase_file: ${pass}\n`);
    return f;
  }

  it('recovers into a data directory only its owner can read (0700 directories, 0600 files)', async () => {
    const fresh = path.join(c.dir, 'recovered-private');
    const r = await drc(['store', 'recover', '--from', c.file('copy'), '--data', fresh, '--config', localStoreConfig('private.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { points: number }).points).toBeGreaterThan(0);
    const all = [fresh, ...fs.readdirSync(fresh, { recursive: true }).map((f) => path.join(fresh, String(f)))];
    expect(all.some((f) => f.endsWith('.pack'))).toBe(true);
    const loose = all.map((f) => ({ f, st: fs.statSync(f) })).filter(({ st }) => (st.mode & 0o777) !== (st.isDirectory() ? 0o700 : 0o600));
    expect(loose.map(({ f, st }) => `${f} ${(st.mode & 0o777).toString(8)}`)).toEqual([]);
  }, 60_000);

  it('leaves no trace of a failed recover: no new data directory, and an empty one left as it was', async () => {
    fs.writeFileSync(c.file('not-the-pass'), 'not the passphrase\n');
    const wrongCfg = localStoreConfig('wrong-recover.yaml', c.file('not-the-pass'));
    const fresh = path.join(c.dir, 'recovered-failed');
    const wrong = await drc(['store', 'recover', '--from', c.file('copy'), '--data', fresh, '--config', wrongCfg]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^drc: wrong passphrase: none of the \d+ key file\(s\) of .* opens with it\n$/);
    expect(fs.existsSync(fresh)).toBe(false);

    const empty = path.join(c.dir, 'recovered-empty');
    fs.mkdirSync(empty);
    const mode = fs.statSync(empty).mode;
    expect((await drc(['store', 'recover', '--from', c.file('copy'), '--data', empty, '--config', wrongCfg])).code).toBe(1);
    expect(fs.readdirSync(empty)).toEqual([]);
    expect(fs.statSync(empty).mode).toBe(mode);

    const nowhere = c.file('no-such-copy');
    const missing = await drc(['store', 'recover', '--from', nowhere, '--data', fresh, '--config', localStoreConfig('missing.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`drc: store recover: --from ${nowhere}: no such directory\n`);
    expect(fs.existsSync(fresh)).toBe(false);
    expect(fs.existsSync(nowhere)).toBe(false);
  }, 60_000);

  it('refuses an s3:// --from without a bucket in one line naming the flag', async () => {
    const fresh = path.join(c.dir, 'recovered-nobucket');
    for (const from of ['s3://', 's3:///hub1']) {
      const r = await drc(['store', 'recover', '--from', from, '--data', fresh, '--config', localStoreConfig('nobucket-recover.yaml')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`drc: store recover: --from ${from}: expected s3://BUCKET[/PREFIX]\n`);
      expect(fs.existsSync(fresh)).toBe(false);
    }
  });

  it('says where the S3 credentials of --from come from when there are none: the environment or --credentials-file', async () => {
    const fresh = path.join(c.dir, 'recovered-nocreds');
    const args = ['store', 'recover', '--from', 's3://drc/hub1/', '--endpoint', s3.endpoint, '--data', fresh, '--config', localStoreConfig('nocreds.yaml')];
    const none = await drc(args, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('drc: store recover: no S3 credentials for --from s3://drc/hub1/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials-file FILE\n');
    const missing = await drc([...args, '--credentials-file', c.file('no-creds')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`drc: store recover: --credentials-file ${c.file('no-creds')}: no such file\n`);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it('refuses to recover onto an S3 store a live hub holds, as serve does, writing nothing; once the hub is gone it recovers and frees the lock', async () => {
    const lockOf = () => fs.readdirSync(path.join(c.file('s3'), 'drc', 'hub1')).filter((f) => f.startsWith('lock'));
    const held = lockOf();
    expect(held.length).toBeGreaterThan(0);
    const fresh = path.join(c.dir, 'recovered-locked');
    const args = ['store', 'recover', '--from', 's3://drc/hub1/', '--endpoint', s3.endpoint, '--credentials-file', c.file('s3-credentials'), '--data', fresh, '--config', config];
    const r = await drc(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^drc: the store at s3:\/\/drc\/hub1\/ is in use by hub drc-hub\S* on \S+ since \S+; delete its lock object if that hub is gone\n$/);
    expect(fs.existsSync(fresh)).toBe(false);
    expect(lockOf()).toEqual(held);
    await hub.stop();
    try {
      const ok = await drc(args);
      expect(ok.code, ok.stderr).toBe(0);
      expect(lockOf()).toEqual([]);
    } finally {
      await hub.start();
    }
  }, 60_000);

  it('refuses a missing bucket, in one line', async () => {
    const cfg = c.file('nobucket.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(config, 'utf8').replace('bucket: drc', 'bucket: nope'));
    const r = await refusedStart(path.join(c.dir, 'hub-nobucket'), cfg);
    expect(r.lines).toEqual(['drc serve: cannot start: S3 bucket nope does not exist (' + s3.endpoint + ')']);
  }, 60_000);
});

describe('a hub with its store on a strict S3 server', () => {
  const c = new Cluster();
  const s3 = new StrictS3Server();
  let hub: HubProc;

  let config: string;

  beforeAll(async () => {
    await s3.start();
    config = writeConfig(
      c,
      'drc.yaml',
      s3.endpoint,
      `  - name: vault
    type: s3
    endpoint: ${s3.endpoint}
    bucket: drc
    prefix: vault
    path_style: true
    credentials_file: ${c.file('s3-credentials')}
    immutable: true
    keep: 1d
  - name: wrongkeys
    type: s3
    endpoint: ${s3.endpoint}
    bucket: drc
    prefix: wrongkeys
    path_style: true
    credentials_file: ${c.file('wrong-credentials')}
`,
    );
    fs.writeFileSync(c.file('wrong-credentials'), 'aws_access_key_id = NOTME\naws_secret_access_key = NOTME\n');
    makeImage(c.file('disk.img'), 8);
    hub = await c.startHub(new HubProc(c.hubData, ['--config', config], { http: 'off' }));
    const token = await hub.addHost('h1');
    await c.startAgent(hub, 'h1', token, { disk: c.file('disk.img') });
  }, 60_000);

  afterAll(async () => {
    await c.stop();
    await s3.stop();
  });

  it('fails the backup when the bucket is full (507) and commits nothing that is not stored', async () => {
    s3.fail(507, 'InsufficientStorage', 100, (m, k) => m === 'PUT' && k.includes('/packs/'));
    const j = await backup(hub, 'h1', true);
    expect(j.state).toBe('failed');
    expect(j.error).toMatch(/out of space \(507 InsufficientStorage\)/);
    expect(await points(hub, 'h1')).toEqual([]);
    expect([...s3.objects.keys()].filter((k) => k.includes('/points/'))).toEqual([]);
    s3.clearFaults();
  }, 60_000);

  it('rides out 503 SlowDown answers and stores the backup', async () => {
    s3.fail(503, 'SlowDown', 2, (m, k) => m === 'PUT' && k.includes('/packs/'));
    await backupOk(hub, 'h1', true);
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('out.img'))).toBe(sha256File(c.file('disk.img')));
  }, 60_000);

  it('fails a copy whose credentials the server refuses, in one line, holding nothing, and raises the copy-failed alarm', async () => {
    const r = await hub.run(['copies', 'run', 'wrongkeys', '--wait', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^drc: S3 \S+ refused the credentials or the access \(InvalidAccessKeyId\) for get s3:\/\/drc\/wrongkeys\/config$/)]);
    const list = await hub.json<{ name: string; pointsHeld: number }[]>(['copies', '--config', config]);
    expect(list.find((x) => x.name === 'wrongkeys')).toMatchObject({ pointsHeld: 0 });
    await waitFor('copy-failed alarm', async () => (await hub.json<{ rule: string }[]>(['alarms'])).some((a) => a.rule === 'copy-failed'));
  }, 60_000);

  it('refuses to start on a store whose credentials the server refuses, in one line', async () => {
    const cfg = c.file('wrong-keys.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(config, 'utf8').replace(`credentials_file: ${c.file('s3-credentials')}`, `credentials_file: ${c.file('wrong-credentials')}`).replace('prefix: hub1', 'prefix: keys'));
    const r = await refusedStart(path.join(c.dir, 'hub-wrong-keys'), cfg);
    expect(r.lines).toEqual([expect.stringMatching(/^drc serve: cannot start: S3 http:\/\/127\.0\.0\.1:\d+ refused the credentials or the access \(InvalidAccessKeyId\)/)]);
  }, 60_000);

  it('releases the owner lock when the hub fails to start after taking it', async () => {
    const cfg = c.file('other.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(config, 'utf8').replace('prefix: hub1', 'prefix: other'));
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const r = await refusedStart(path.join(c.dir, 'hub-busy'), cfg, `127.0.0.1:${(busy.address() as net.AddressInfo).port}`);
      expect(r.lines).toEqual([expect.stringMatching(/^drc serve: cannot start: address in use/)]);
    } finally {
      busy.close();
    }
    expect(s3.objects.has('drc/other/config')).toBe(true); // it got as far as the store
    expect(s3.objects.has('drc/other/lock')).toBe(false);
  }, 60_000);

  it('writes an immutable S3 copy under Object Lock retention for its keep time, which refuses deletes', async () => {
    const r = await hub.json<{ state: string; packs: number }>(['copies', 'run', 'vault', '--wait', '--config', config]);
    expect(r.state).toBe('succeeded');
    expect(r.packs).toBeGreaterThan(0);
    const copied = [...s3.objects].filter(([k]) => k.startsWith('drc/vault/packs/') || k.startsWith('drc/vault/points/'));
    expect(copied.length).toBeGreaterThan(r.packs);
    for (const [, o] of copied) expect(o.retainUntil! - Date.now()).toBeGreaterThan(86_400_000 - 600_000);
    const target = new S3PackStore({ endpoint: s3.endpoint, bucket: 'drc', prefix: 'vault/', region: 'us-east-1', pathStyle: true, credentialsFile: null }, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    try {
      await expect(target.delete(copied[0]![0].slice('drc/vault/'.length))).rejects.toThrow(/AccessDenied|refused/);
    } finally {
      target.close();
    }
  }, 60_000);
});
