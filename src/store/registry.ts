// Store backends by type: the one place a config's `store:` or a copy's target becomes a
// PackStore. Adding a backend is one new file plus one entry here.
import fs from 'node:fs';
import path from 'node:path';
import type { CopyConfig, EncryptionConfig, S3Location, StoreConfig } from '../config/types.js';
import { StoreError } from './errors.js';
import { LocalPackStore } from './local-pack-store.js';
import type { PackStore } from './pack-store.js';
import { S3PackStore, s3Credentials } from './s3-pack-store.js';

export type StoreTarget = { type: 'local' | 'directory'; path: string } | ({ type: 's3' } & S3Location);

const BACKENDS: Record<StoreTarget['type'], (t: StoreTarget) => PackStore> = {
  local: (t) => new LocalPackStore((t as { path: string }).path),
  directory: (t) => new LocalPackStore((t as { path: string }).path),
  s3: (t) => {
    const loc = t as S3Location;
    return new S3PackStore(loc, s3Credentials(loc.credentialsFile));
  },
};

export function openPackStore(t: StoreTarget): PackStore {
  return BACKENDS[t.type](t);
}

/** The hub's own store: `store:` of the config; a local store lives in DATA/store by default. */
export function storeTarget(c: StoreConfig, dataDir: string): StoreTarget {
  return c.type === 'local' ? { type: 'local', path: c.path ?? path.join(dataDir, 'store') } : c;
}

export function copyTarget(c: CopyConfig): StoreTarget {
  return c.type === 'directory' ? { type: 'directory', path: c.path } : c;
}

/** `--from DIR` or `--from s3://BUCKET/PREFIX` (endpoint and path style from flags or AWS_ENDPOINT_URL). */
export function parseStoreLocation(text: string, o: { endpoint?: string; pathStyle?: boolean; region?: string; credentialsFile?: string | null } = {}): StoreTarget {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (!m) return { type: 'directory', path: path.resolve(text) };
  const prefix = m[2] ?? '';
  return {
    type: 's3',
    bucket: m[1]!,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    endpoint: o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? null,
    region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
    pathStyle: o.pathStyle ?? true,
    credentialsFile: o.credentialsFile ?? null,
  };
}

/** The passphrase an `encryption:` section names; one line when it cannot be read. */
export function readPassphrase(e: EncryptionConfig | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!e) return null;
  if (e.passphraseEnv !== null) {
    const v = env[e.passphraseEnv];
    if (!v) throw new StoreError(`store.encryption: environment variable ${e.passphraseEnv} is not set`);
    return v;
  }
  let text: string;
  try {
    text = fs.readFileSync(e.passphraseFile, 'utf8');
  } catch (err) {
    throw new StoreError(`store.encryption: cannot read passphrase file ${e.passphraseFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const p = text.replace(/\r?\n$/, '');
  if (!p) throw new StoreError(`store.encryption: passphrase file ${e.passphraseFile} is empty`);
  return p;
}
