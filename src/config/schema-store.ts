/**
 * The `store` section (where recovery points live, encryption at rest) and `copies`
 * (second targets points are copied to).
 */
import { DEFAULT_CACHE_BYTES, DEFAULT_TIMEZONE } from './defaults.js';
import { isMap } from 'yaml';
import { bool, int, localPath, name, oneOf, readMapping, rejectKeys, requireKeys, str, uniqueListOf, url, type ValueReader } from './yaml-readers.js';
import { cron, timeWindow, timezone } from './schema-schedules.js';
import type { CopyConfig, EncryptionConfig, RetentionConfig, S3Location, StoreConfig } from './types.js';
import { duration, positiveDuration, size } from './values.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const readEncryption: ValueReader<EncryptionConfig | null> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { passphrase_file: localPath, passphrase_env: str });
  if (m === undefined) return undefined;
  const { passphrase_file: file, passphrase_env: env } = m.values;
  if (m.has('passphrase_file') && m.has('passphrase_env')) return r.fail(m.nodeOf('passphrase_env'), `${path} has both passphrase_file and passphrase_env`, 'expected one of them');
  if (!m.has('passphrase_file') && !m.has('passphrase_env')) return r.fail(m.node, `${path} names no passphrase`, 'expected passphrase_file or passphrase_env');
  if (env !== undefined && !ENV_NAME.test(env)) return r.fail(m.nodeOf('passphrase_env'), `${path}.passphrase_env ${JSON.stringify(env)} is not an environment variable name`, 'expected a name such as DRC_PASSPHRASE');
  if (file !== undefined) return { passphraseFile: file, passphraseEnv: null };
  if (env !== undefined) return { passphraseFile: null, passphraseEnv: env };
  return undefined;
};

const bucketName: ValueReader<string> = (r, raw, path) => {
  const v = str(r, raw, path);
  if (v === undefined) return undefined;
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) ? v : r.fail(r.deref(raw), `${path} ${JSON.stringify(v)} is not an S3 bucket name`, 'expected 3-63 lowercase letters, digits, dots and hyphens');
};

const prefix: ValueReader<string> = (r, raw, path) => {
  const v = str(r, raw, path);
  if (v === undefined) return undefined;
  const p = v.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
};

const S3_KEYS = { endpoint: url(['http:', 'https:']), bucket: bucketName, prefix, region: str, path_style: bool, credentials_file: localPath };
interface S3Values {
  endpoint?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  path_style?: boolean;
  credentials_file?: string;
}

function s3Location(v: S3Values): S3Location | undefined {
  if (v.bucket === undefined) return undefined;
  return {
    endpoint: v.endpoint ?? null,
    bucket: v.bucket,
    prefix: v.prefix ?? '',
    region: v.region ?? process.env.AWS_REGION ?? 'us-east-1',
    pathStyle: v.path_style ?? false,
    credentialsFile: v.credentials_file ?? null,
  };
}

export const readStore: ValueReader<StoreConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, { type: oneOf(['local', 's3'] as const, 'store type'), path: localPath, encryption: readEncryption, cache: size, ...S3_KEYS });
  if (m === undefined) return undefined;
  const v = m.values;
  const type = v.type ?? 'local';
  const common = { encryption: v.encryption ?? null, cacheBytes: v.cache ?? DEFAULT_CACHE_BYTES };
  if (type === 'local') {
    rejectKeys(r, m, ['endpoint', 'bucket', 'prefix', 'region', 'path_style', 'credentials_file'], 'applies only to type s3', 'expected path, encryption');
    return { type, path: v.path ?? null, ...common };
  }
  rejectKeys(r, m, ['path'], 'applies only to type local', 'expected endpoint, bucket, prefix, region, path_style, credentials_file');
  requireKeys(r, m, [['bucket', 'expected the bucket name']]);
  const loc = s3Location(v);
  return loc && { type, ...loc, ...common };
};

const GFS_KEYS = ['keep_last', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** A copy's `keep:` — a duration (`30d`), or a mapping of `within` and GFS counts. */
const readKeep: ValueReader<{ within: number | null; rules: RetentionConfig | null }> = (r, raw, path) => {
  if (!isMap(r.deref(raw))) {
    const within = positiveDuration(r, raw, path);
    return within === undefined ? undefined : { within, rules: null };
  }
  const count = int(0);
  const m = readMapping(r, raw, path, { within: positiveDuration, keep_last: count, daily: count, weekly: count, monthly: count, yearly: count });
  if (m === undefined) return undefined;
  const v = m.values;
  const gfs = GFS_KEYS.some((k) => (v[k] ?? 0) > 0);
  if (!gfs && v.within === undefined) return r.fail(m.node, `${path} keeps no recovery points`, `expected within or at least one of ${GFS_KEYS.join(', ')} above 0`);
  const rules = gfs ? { keepLast: v.keep_last ?? 0, daily: v.daily ?? 0, weekly: v.weekly ?? 0, monthly: v.monthly ?? 0, yearly: v.yearly ?? 0, consolidateAfter: null } : null;
  return { within: v.within ?? null, rules };
};

const readCopy: ValueReader<CopyConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    name,
    type: oneOf(['directory', 's3'] as const, 'copy type'),
    path: localPath,
    cron,
    timezone,
    window: timeWindow,
    immutable: bool,
    keep: readKeep,
    rpo: duration,
    ...S3_KEYS,
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [
    ['name', 'expected a string'],
    ['type', 'expected directory or s3'],
  ]);
  const v = m.values;
  if (v.name === undefined || v.type === undefined) return undefined;
  const common = {
    name: v.name,
    cron: v.cron ?? null,
    timezone: v.timezone ?? DEFAULT_TIMEZONE,
    window: v.window ?? null,
    immutable: v.immutable ?? false,
    keep: v.keep?.within ?? null,
    keepRules: v.keep?.rules ?? null,
    rpo: v.rpo ?? null,
  };
  if (v.type === 'directory') {
    requireKeys(r, m, [['path', 'expected the directory copies are written to']]);
    // kernel file systems take no files (and creating directories in /proc never returns)
    if (v.path !== undefined && /^\/(proc|sys|dev)(\/|$)/.test(v.path)) {
      return r.fail(m.nodeOf('path'), `${path}.path ${v.path} is in a kernel file system`, 'expected a directory on a disk: a removable, NFS-mounted or local one');
    }
    rejectKeys(r, m, ['endpoint', 'bucket', 'prefix', 'region', 'path_style', 'credentials_file'], 'applies only to type s3', 'expected path');
    return v.path === undefined ? undefined : { ...common, type: 'directory', path: v.path };
  }
  rejectKeys(r, m, ['path'], 'applies only to type directory', 'expected endpoint, bucket, prefix, region, path_style, credentials_file');
  requireKeys(r, m, [['bucket', 'expected the bucket name']]);
  const loc = s3Location(v);
  return loc && { ...common, type: 's3', ...loc };
};

export const readCopies: ValueReader<CopyConfig[]> = uniqueListOf(readCopy, 'copy');
