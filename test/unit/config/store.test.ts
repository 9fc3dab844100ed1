import { describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

const parse = (lines: string[]) => parseConfig(lines.join('\n') + '\n', '/etc/drc/drc.yaml');

function errorOf(lines: string[]): string {
  try {
    parse(lines);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('the config was accepted');
}

describe('store and copies config', () => {
  test('reads an encrypted S3 store with its defaults filled in', () => {
    const c = parse(['store:', '  type: s3', '  endpoint: http://127.0.0.1:9000', '  bucket: drc', '  prefix: hub1', '  path_style: true', '  cache: 1GiB', '  encryption:', '    passphrase_env: DRC_PASS']);
    expect(c.store).toEqual({
      type: 's3',
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'drc',
      prefix: 'hub1/',
      region: process.env.AWS_REGION ?? 'us-east-1',
      pathStyle: true,
      credentialsFile: null,
      cacheBytes: 1024 ** 3,
      encryption: { passphraseFile: null, passphraseEnv: 'DRC_PASS' },
    });
  });

  test('reads a directory copy with its schedule, resolving the path against the file', () => {
    const c = parse(['copies:', '  - name: offline', '    type: directory', '    path: copy', '    cron: "0 3 * * *"', '    window: "01:00-06:00"', '    immutable: true', '    keep: 30d']);
    expect(c.copies[0]).toMatchObject({ name: 'offline', type: 'directory', path: '/etc/drc/copy', cron: '0 3 * * *', timezone: 'UTC', immutable: true, keep: 30 * 86400, rpo: null });
    expect(c.copies[0]!.window).toMatchObject({ text: '01:00-06:00' });
  });

  test('reads a copy keeping points by GFS rules and a time', () => {
    const c = parse(['copies:', '  - name: offline', '    type: directory', '    path: copy', '    keep:', '      within: 7d', '      keep_last: 3', '      monthly: 12']);
    expect(c.copies[0]).toMatchObject({ keep: 7 * 86400, keepRules: { keepLast: 3, daily: 0, weekly: 0, monthly: 12, yearly: 0 } });
  });

  test('refuses a copy keep that keeps nothing', () => {
    expect(errorOf(['copies:', '  - name: offline', '    type: directory', '    path: copy', '    keep:', '      daily: 0'])).toMatch(/copies\[0\]\.keep keeps no recovery points \(expected within or at least one of keep_last/);
  });

  test('names the line and column of an S3 key on a local store', () => {
    expect(errorOf(['store:', '  type: local', '  bucket: drc'])).toBe('/etc/drc/drc.yaml:3:11: store.bucket applies only to type s3 (expected path, encryption)');
  });

  test('refuses an S3 store without a bucket', () => {
    expect(errorOf(['store:', '  type: s3'])).toBe('/etc/drc/drc.yaml:2:3: store is missing required key "bucket" (expected the bucket name)');
  });

  test('refuses two passphrase sources', () => {
    expect(errorOf(['store:', '  encryption:', '    passphrase_file: /p', '    passphrase_env: P'])).toBe('/etc/drc/drc.yaml:4:21: store.encryption has both passphrase_file and passphrase_env (expected one of them)');
  });

  test('refuses a directory copy in a kernel file system (creating directories in /proc never returns)', () => {
    expect(errorOf(['copies:', '  - name: a', '    type: directory', '    path: /proc/drc-copy'])).toBe(
      '/etc/drc/drc.yaml:4:11: copies[0].path /proc/drc-copy is in a kernel file system (expected a directory on a disk: a removable, NFS-mounted or local one)',
    );
  });

  test('refuses a copy of an unknown type and a repeated copy name', () => {
    expect(errorOf(['copies:', '  - name: a', '    type: tape'])).toBe('/etc/drc/drc.yaml:3:11: copies[0].type "tape" is not a valid copy type (expected one of: directory, s3)');
    expect(errorOf(['copies:', '  - { name: a, type: directory, path: /x }', '  - { name: a, type: directory, path: /y }'])).toMatch(/^\/etc\/drc\/drc\.yaml:3:\d+: .*a.*/);
  });
});
