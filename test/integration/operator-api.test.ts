// The operators' door: a unix socket only its owner can use, TCP only with the token,
// several clients at once each getting the same live updates.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, HubError } from '../../src/client/api-client.js';
import type { Update } from '../../src/protocol/operator.js';
import { HubProc, drc, waitFor } from '../helpers/cluster.js';
import { Cluster, freePort } from './support.js';

describe('operator API', () => {
  const c = new Cluster();
  let hub: HubProc;
  let port = 0;
  const token = 'op-secret-token-123';

  beforeAll(async () => {
    port = await freePort();
    fs.writeFileSync(c.file('drc.yaml'), `hub:\n  listen:\n    api_tcp: 127.0.0.1:${port}\n  api_token: ${token}\n`);
    hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
  });
  afterAll(() => c.stop());

  it('serves operators on a unix socket that only its owner can open', () => {
    const mode = fs.statSync(`${c.hubData}/api.sock`).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('answers over TCP with the token and refuses without it', async () => {
    const ok = await drc(['status', '--json', '--hub', `ws://127.0.0.1:${port}`], { DRC_TOKEN: token });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).hub.name).toBe('drc-hub');
    const bad = await drc(['status', '--json', '--hub', `ws://127.0.0.1:${port}`], { DRC_TOKEN: 'wrong' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/operator token required or wrong/);
    expect(bad.stdout).toBe('');
  });

  it('gives every subscribed client a snapshot and then the same updates', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => ApiClient.connect({ target: `${c.hubData}/api.sock` })));
    const seen: Update[][] = clients.map(() => []);
    clients.forEach((cl, i) => cl.onUpdate((u) => seen[i]!.push(u)));
    await Promise.all(clients.map((cl) => cl.call('subscribe', {})));
    await clients[0]!.call('hosts.add', { name: 'api-h1', tags: ['x'] });
    for (const s of seen) {
      await waitFor('host update', () => s.some((u) => u.type === 'host' && u.host.name === 'api-h1'));
      expect(s[0]!.type).toBe('snapshot');
    }
    await expect(clients[1]!.call('hosts.add', { name: 'api-h1' })).rejects.toThrow(HubError);
    await expect(clients[1]!.call('backup.start', { host: 'no-such-host' })).rejects.toThrow(/no host named no-such-host/);
    for (const cl of clients) cl.close();
  });

  it('checks every request against its method\'s schema, with one-line errors, and queues a backup at the priority asked', async () => {
    const cl = await ApiClient.connect({ target: `${c.hubData}/api.sock` });
    const untyped = cl.call.bind(cl) as (method: string, params: unknown) => Promise<unknown>;
    try {
      await cl.call('hosts.add', { name: 'api-h2' });
      const job = await cl.call('backup.start', { host: 'api-h2', priority: 42 });
      expect(job.priority).toBe(42);
      const cli = await drc(['backup', 'api-h2', '--priority', '7', '--json', '--data', c.hubData]);
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout).priority).toBe(7);
      const refused = (method: string, params: unknown) => untyped(method, params).then(() => null, (e: HubError) => ({ code: e.code, message: e.message }));
      expect(await refused('backup.start', { host: 'api-h2', nice: true })).toEqual({ code: 'bad-request', message: 'backup.start: params: unknown field "nice"' });
      expect(await refused('hosts.list', { all: true })).toEqual({ code: 'bad-request', message: 'hosts.list: params: unknown field "all"' });
      expect(await refused('job.get', { id: '1' })).toEqual({ code: 'bad-request', message: 'job.get: params.id: expected an integer' });
      expect(await refused('bitmaps.watch', { hosts: 'web-01' })).toMatchObject({ code: 'bad-request', message: 'bitmaps.watch: params.hosts: expected a list' });
      expect(await refused('hosts.drop', {})).toEqual({ code: 'unknown-method', message: 'unknown method hosts.drop' });
      expect(await refused('toString', {})).toMatchObject({ code: 'unknown-method' });
    } finally {
      cl.close();
    }
  });
});
