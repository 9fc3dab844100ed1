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
});
