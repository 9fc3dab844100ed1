// One conformance suite for every PackStore backend: the local directory, s3rver (a real S3
// server process) and a strict in-process S3 server (conditional put, Object Lock).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPackStore } from '../../../src/store/local-pack-store.js';
import { ObjectExistsError, ObjectMissingError, type PackStore } from '../../../src/store/pack-store.js';
import { S3PackStore, payloadProtected } from '../../../src/store/s3-pack-store.js';
import { tempDir } from '../../helpers/cluster.js';
import { S3RVER_KEY, S3rverProc, StrictS3Server } from '../../helpers/s3-servers.js';

const creds = { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY };
const s3At = (endpoint: string, prefix = 'repo/') => new S3PackStore({ endpoint, bucket: 'drc', prefix, region: 'us-east-1', pathStyle: true, credentialsFile: null }, creds, { maxAttempts: 2 });

interface Backend {
  name: string;
  open: () => PackStore;
  /** the server honours If-None-Match and Object Lock */
  strict: boolean;
  multipart: boolean;
}

const dir = tempDir('drc-packstore-');
const s3rver = new S3rverProc(path.join(dir, 's3rver'));
const strict = new StrictS3Server();

const backends: Backend[] = [
  { name: 'local directory', open: () => new LocalPackStore(path.join(dir, 'local')), strict: true, multipart: true },
  { name: 's3rver', open: () => s3At(s3rver.endpoint), strict: false, multipart: true },
  { name: 'strict S3 server', open: () => s3At(strict.endpoint), strict: true, multipart: false },
];

beforeAll(async () => {
  await Promise.all([s3rver.start(), strict.start()]);
}, 30_000);

afterAll(async () => {
  await s3rver.kill();
  await strict.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(backends)('PackStore on $name', (b) => {
  let store: PackStore;
  beforeAll(() => {
    store = b.open();
  });
  afterAll(() => store.close());

  it('returns exactly the bytes put, whole and by range', async () => {
    const bytes = randomBytes(300_000);
    await store.put('packs/a1', bytes);
    expect((await store.get('packs/a1')).equals(bytes)).toBe(true);
    expect((await store.get('packs/a1', 1000, 5000)).equals(bytes.subarray(1000, 6000))).toBe(true);
    expect((await store.get('packs/a1', 299_990, 100)).equals(bytes.subarray(299_990))).toBe(true);
  });

  it('downloads an object into a file, whole, and a missing one as missing, leaving no file', async () => {
    const bytes = randomBytes(3 << 20);
    await store.put('packs/dl', bytes);
    const file = path.join(dir, `${b.name}-dl.pack`);
    await store.download('packs/dl', file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const gone = path.join(dir, `${b.name}-missing.pack`);
    await expect(store.download('packs/none', gone)).rejects.toBeInstanceOf(ObjectMissingError);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(`${b.name}-missing`))).toEqual([]);
  });

  it('lists objects by prefix with their sizes', async () => {
    await store.put('points/p1', Buffer.from('one'));
    await store.put('points/p2', Buffer.from('three'));
    const l = (await store.list('points/')).sort((x, y) => x.name.localeCompare(y.name));
    expect(l).toEqual([
      { name: 'points/p1', size: 3 },
      { name: 'points/p2', size: 5 },
    ]);
  });

  it('answers a missing object as missing: get throws ObjectMissingError, stat is null, delete is quiet', async () => {
    await expect(store.get('packs/none')).rejects.toBeInstanceOf(ObjectMissingError);
    expect(await store.stat('packs/none')).toBeNull();
    await expect(store.delete('packs/none')).resolves.toBeUndefined();
  });

  it('deletes an object', async () => {
    await store.put('keys/k1', Buffer.from('k'));
    expect(await store.stat('keys/k1')).toEqual({ name: 'keys/k1', size: 1 });
    await store.delete('keys/k1');
    expect(await store.stat('keys/k1')).toBeNull();
  });

  it.skipIf(!b.strict)('never overwrites an object: a second put of the name fails and the first stays', async () => {
    await store.put('config', Buffer.from('first'));
    await expect(store.put('config', Buffer.from('second'))).rejects.toBeInstanceOf(ObjectExistsError);
    expect((await store.get('config')).toString()).toBe('first');
  });

  it.skipIf(!b.strict)('refuses to delete an object under retention', async () => {
    await store.put('packs/locked', Buffer.from('worm'), { retainUntil: new Date(Date.now() + 3600_000) });
    await expect(store.delete('packs/locked')).rejects.toThrow(/immutable|AccessDenied|refused/);
    expect((await store.get('packs/locked')).toString()).toBe('worm');
  });

  it.skipIf(!b.multipart)('stores a file larger than one part intact', async () => {
    const file = path.join(dir, `big-${b.name.replace(/\W/g, '')}`);
    const bytes = randomBytes(70 * 1024 * 1024);
    fs.writeFileSync(file, bytes);
    await store.putFile('packs/big', file);
    expect((await store.stat('packs/big'))?.size).toBe(bytes.length);
    expect((await store.get('packs/big', 65 * 1024 * 1024, 4096)).equals(bytes.subarray(65 * 1024 * 1024, 65 * 1024 * 1024 + 4096))).toBe(true);
  }, 60_000);
});

describe('S3 errors', () => {
  it('names a missing bucket in one line', async () => {
    const s = new S3PackStore({ endpoint: strict.endpoint, bucket: 'nope', prefix: '', region: 'us-east-1', pathStyle: true, credentialsFile: null }, creds, { maxAttempts: 1 });
    const e = await s.get('config').catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^S3 bucket nope does not exist/);
    expect((e as Error).message).not.toContain('\n');
    s.close();
  });

  it('says the credentials were refused, in one line', async () => {
    const s = new S3PackStore({ endpoint: strict.endpoint, bucket: 'drc', prefix: '', region: 'us-east-1', pathStyle: true, credentialsFile: null }, { accessKeyId: 'WRONG', secretAccessKey: 'x' }, { maxAttempts: 1 });
    const e = await s.put('x', Buffer.from('x')).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/refused the credentials.*InvalidAccessKeyId/);
    s.close();
  });

  it('reports a full bucket (507) as out of space', async () => {
    const s = s3At(strict.endpoint, 'full/');
    strict.fail(507, 'InsufficientStorage', 5, (m, k) => m === 'PUT' && k.startsWith('full/'));
    const e = await s.put('packs/x', Buffer.from('x')).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/out of space \(507 InsufficientStorage\)/);
    s.close();
  });

  it('retries 503 SlowDown and then succeeds', async () => {
    const s = s3At(strict.endpoint, 'slow/');
    strict.fail(503, 'SlowDown', 1, (m, k) => m === 'PUT' && k.startsWith('slow/'));
    await s.put('packs/y', Buffer.from('y'));
    expect((await s.get('packs/y')).toString()).toBe('y');
    s.close();
  });

  it('fails a download whose body the server cuts short, in one line, leaving no file', async () => {
    const s = s3At(strict.endpoint, 'cut/');
    await s.put('packs/c', randomBytes(4 << 20));
    strict.cutBodies(1, (k) => k.startsWith('cut/'));
    const file = path.join(dir, 'cut.pack');
    const err = await s.download('packs/c', file).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/^S3 \S+ .*packs\/c/);
    expect(err?.message).not.toContain('\n');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('cut.pack'))).toEqual([]);
    // the next download of it is whole
    await s.download('packs/c', file);
    expect(fs.statSync(file).size).toBe(4 << 20);
    s.close();
  });

  it('sends a sealed pack again from its file after a 503, intact', async () => {
    const s = s3At(strict.endpoint, 'slowfile/');
    const file = path.join(dir, 'slow.pack');
    const bytes = randomBytes(3 << 20);
    fs.writeFileSync(file, bytes);
    strict.fail(503, 'SlowDown', 1, (m, k) => m === 'PUT' && k.startsWith('slowfile/'));
    await s.putFile('packs/z', file);
    expect((await s.get('packs/z')).equals(bytes)).toBe(true);
    s.close();
  });
});

describe('S3 request signing', () => {
  it('leaves bodies unsigned only over https or to a loopback endpoint', () => {
    expect(payloadProtected(null)).toBe(true);
    expect(payloadProtected('https://s3.example.net')).toBe(true);
    expect(payloadProtected('http://127.0.0.1:9000')).toBe(true);
    expect(payloadProtected('http://localhost:9000')).toBe(true);
    expect(payloadProtected('http://[::1]:9000')).toBe(true);
    expect(payloadProtected('http://minio.lan:9000')).toBe(false);
    expect(payloadProtected('http://10.0.0.5:9000')).toBe(false);
  });
});
