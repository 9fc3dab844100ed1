// Errors a user makes are told in one line, with where: a cron out of range at config
// load (file:line:col), a missing or broken TLS certificate, an expiry under a minute, a
// missing or empty passphrase file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalPackStore } from '../../../src/store/local-pack-store.js';
import { Repository, readKeyFiles } from '../../../src/store/repository.js';
import { drc, tempDir } from '../../helpers/cluster.js';

describe('one-line errors', () => {
  const dir = tempDir('drc-errors-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function config(name: string, text: string): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  }

  it('refuses a cron of 61 minutes when the config is loaded, naming file, line and column', async () => {
    const f = config('cron.yaml', 'schedules:\n  - name: nightly\n    cron: "61 * * * *"\n    targets: ["*"]\n');
    const r = await drc(['schedules', '--config', f, '--data', path.join(dir, 'none')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: ${f}:3:11: schedules[0].cron "61 * * * *" is out of range: got value 61 expected range 0-59\n`);
  });

  it('does not take the next option as a flag value: --confirm --data DIR is refused, naming both', async () => {
    const r = await drc(['instances', 'stop', '23', '--confirm', '--data', path.join(dir, 'none')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('drc: instances: --confirm needs a value, not the option --data (write --confirm=VALUE for a value that starts with --)\n');
  });

  it('says in one line that the hub certificate file is missing', async () => {
    const f = config('tls-missing.yaml', `hub:\n  tls:\n    cert: ${dir}/nope.pem\n    key: ${dir}/nope.key\n`);
    const r = await drc(['serve', '--config', f, '--data', path.join(dir, 'hub1'), '--listen-agents', '127.0.0.1:0', '--listen-http', 'off']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: serve: hub.tls.cert ${dir}/nope.pem: no such file\n`);
  });

  it('says in one line that the hub certificate is not PEM', async () => {
    fs.writeFileSync(path.join(dir, 'bad.pem'), 'not a certificate\n');
    const f = config('tls-bad.yaml', `hub:\n  tls:\n    cert: ${dir}/bad.pem\n    key: ${dir}/bad.pem\n`);
    const r = await drc(['serve', '--config', f, '--data', path.join(dir, 'hub2'), '--listen-agents', '127.0.0.1:0', '--listen-http', 'off']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^drc: serve: hub.tls: cannot use ${dir}/bad.pem and ${dir}/bad.pem: .*PEM.*\\n$`));
  });

  it('refuses an agent token expiry under a minute without naming internal parameters', async () => {
    const r = await drc(['hosts', 'add', 'h1', '--expires', '30s', '--data', path.join(dir, 'none')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('drc: hosts add: --expires 30s: a token must live at least 60 s\n');
  });

  it('says in one line that an agent token file is missing', async () => {
    const r = await drc(['agent', '--host', 'h1', '--token-file', `${dir}/no-token`, '--volume', `d=${dir}`, '--data', path.join(dir, 'ag')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: --token-file ${dir}/no-token: no such file\n`);
  });

  /** A data directory with an encrypted store, and a config that opens it. */
  async function encryptedHub(name: string): Promise<{ data: string; cfg: string; store: LocalPackStore }> {
    const data = path.join(dir, name);
    const store = new LocalPackStore(path.join(data, 'store'));
    await Repository.open(store, { passphrase: 'first passphrase', create: true });
    fs.writeFileSync(path.join(dir, `${name}.pass`), 'first passphrase\n');
    return { data, store, cfg: config(`${name}.yaml`, `store:\n  type: local\n  encryption:\n    passphrase_file: ${dir}/${name}.pass\n`) };
  }

  it('says in one line that the new passphrase file of key add is missing, and adds no key', async () => {
    const h = await encryptedHub('key-missing');
    const r = await drc(['key', 'add', '--new-passphrase-file', `${dir}/nonexist`, '--config', h.cfg, '--data', h.data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: key add: --new-passphrase-file ${dir}/nonexist: no such file\n`);
    expect(await readKeyFiles(h.store)).toHaveLength(1);
  });

  it('says in one line that the new passphrase file of key add is empty, naming the flag', async () => {
    const h = await encryptedHub('key-empty');
    fs.writeFileSync(path.join(dir, 'empty-pass'), '\n');
    const r = await drc(['key', 'add', '--new-passphrase-file', `${dir}/empty-pass`, '--config', h.cfg, '--data', h.data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: key add: --new-passphrase-file ${dir}/empty-pass is empty\n`);
    expect(await readKeyFiles(h.store)).toHaveLength(1);
  });

  it('removes a key only when confirmed (--yes, or y on a terminal), and adds no second key for a passphrase already in use', async () => {
    const h = await encryptedHub('key-confirm');
    fs.writeFileSync(path.join(dir, 'second-pass'), 'second passphrase\n');
    const added = await drc(['key', 'add', '--new-passphrase-file', `${dir}/second-pass`, '--config', h.cfg, '--data', h.data, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    const twice = await drc(['key', 'add', '--new-passphrase-file', `${dir}/second-pass`, '--config', h.cfg, '--data', h.data]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(`drc: key add: that passphrase already opens key ${id}; no key added\n`);
    const bare = await drc(['key', 'remove', id, '--config', h.cfg, '--data', h.data]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(`drc: key remove: not confirmed and no terminal to ask on; pass --yes to remove key ${id} (nothing was removed)\n`);
    expect(await readKeyFiles(h.store)).toHaveLength(2);
    const yes = await drc(['key', 'remove', id, '--yes', '--config', h.cfg, '--data', h.data]);
    expect(yes.code, yes.stderr).toBe(0);
    expect(await readKeyFiles(h.store)).toHaveLength(1);
  });
});
