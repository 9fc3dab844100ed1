// The TCP operator API over TLS: with hub.tls set it is wss:// only; a client that trusts
// the certificate (--ca) works with its token, one that does not is told so in one line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProc, drc } from '../helpers/cluster.js';
import { Cluster, freePort } from './support.js';

describe('operator API over TLS', () => {
  const c = new Cluster();
  let port = 0;
  let cert = '';
  const token = 'tls-admin-token-0123456789abcdef';

  beforeAll(async () => {
    port = await freePort();
    cert = c.file('cert.pem');
    const key = c.file('key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
    fs.writeFileSync(c.file('drc.yaml'), `hub:\n  tls:\n    cert: ${cert}\n    key: ${key}\n  listen:\n    api_tcp: 127.0.0.1:${port}\n  api_token: ${token}\n`);
    await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
  });
  afterAll(() => c.stop());

  it('answers a client that trusts the certificate over wss://', async () => {
    const r = await drc(['status', '--json', '--hub', `wss://127.0.0.1:${port}`, '--ca', cert], { DRC_TOKEN: token });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hub.name).toBe('drc-hub');
  });

  it('refuses plaintext on the TLS port', async () => {
    const r = await drc(['status', '--hub', `ws://127.0.0.1:${port}`], { DRC_TOKEN: token });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('tells a client without the CA that the certificate is not trusted, in one line', async () => {
    const r = await drc(['status', '--hub', `wss://127.0.0.1:${port}`], { DRC_TOKEN: token });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^drc: cannot reach the hub at wss:\/\/127\.0\.0\.1:\d+: the hub's TLS certificate is not trusted \(\w+; give --ca FILE\)\n$/);
  });

  it('says in one line when the --ca file does not exist', async () => {
    const r = await drc(['status', '--hub', `wss://127.0.0.1:${port}`, '--ca', c.file('nope.pem')], { DRC_TOKEN: token });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`drc: --ca ${c.file('nope.pem')}: no such file\n`);
  });
});
