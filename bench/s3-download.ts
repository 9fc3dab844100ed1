// What a cold restore from S3 pays per pack on the hub: `S3PackStore.download` (each socket read
// written to the cache file as it arrives) against piping the SDK's body into a write stream
// (how packs were downloaded before). A real s3rver process serves 16 MiB objects; four
// downloads in flight, like the pack cache's; prints the hub process's CPU seconds and wall
// seconds per round, alternating the two. S3D_PACKS (default 40), S3D_ROUNDS (default 4).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3PackStore } from '../src/store/s3-pack-store.js';
import { tempDir } from '../test/helpers/cluster.js';
import { S3RVER_KEY, S3rverProc } from '../test/helpers/s3-servers.js';

const PACKS = Number(process.env.S3D_PACKS ?? 40);
const ROUNDS = Number(process.env.S3D_ROUNDS ?? 4);
const root = tempDir('drc-s3-download-');
const s3 = await new S3rverProc(path.join(root, 's3rver'), 'drc').start();
try {
  const loc = { endpoint: s3.endpoint, bucket: 'drc', prefix: 'b/', region: 'us-east-1', pathStyle: true, credentialsFile: null };
  const creds = { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY };
  const store = new S3PackStore(loc, creds);
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: creds, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const names: string[] = [];
  for (let i = 0; i < PACKS; i++) {
    names.push(`packs/p${i}`);
    await store.put(names[i]!, randomBytes(16 << 20));
  }
  const ways: Record<string, (name: string, file: string) => Promise<void>> = {
    'download (now)': (name, file) => store.download(name, file),
    'pipe into a write stream (before)': async (name, file) => {
      const r = await client.send(new GetObjectCommand({ Bucket: 'drc', Key: `b/${name}` }));
      await pipeline(r.Body as Readable, fs.createWriteStream(file));
    },
  };
  const seen = new Map<string, string[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [way, get] of Object.entries(ways)) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let k = next++; k < PACKS; k = next++) await get(names[k]!, path.join(root, `f${k}`));
      }));
      const c = process.cpuUsage(c0);
      const s = (performance.now() - t) / 1000;
      for (let k = 0; k < PACKS; k++) fs.rmSync(path.join(root, `f${k}`));
      seen.set(way, [...(seen.get(way) ?? []), `${((c.user + c.system) / 1e6).toFixed(2)} cpu-s / ${s.toFixed(2)} s`]);
    }
  }
  console.log(`${PACKS} × 16 MiB from s3rver, 4 in flight, ${ROUNDS} alternating rounds (hub-side CPU of this process):`);
  for (const [way, v] of seen) console.log(`${way.padEnd(36)}${v.join('   ')}`);
  store.close();
  client.destroy();
} finally {
  await s3.kill();
  fs.rmSync(root, { recursive: true, force: true });
}
