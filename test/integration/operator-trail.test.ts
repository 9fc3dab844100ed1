// The rest of issue 17's list, each against a real hub: SSH_CLIENT is recorded for every
// mutating call (not only drills and failovers), the audit log goes out in the log bundle,
// and a client that asks for the viewer role (the read-only cockpit) is refused changes by
// the hub itself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, HubError } from '../../src/client/api-client.js';
import type { AuditEntryView } from '../../src/protocol/operator.js';
import { drc, type HubProc } from '../helpers/cluster.js';
import { Cluster } from './support.js';

describe("the operator's trail", () => {
  const c = new Cluster();
  let hub: HubProc;
  const ssh = '192.0.2.44 61000 22';

  beforeAll(async () => {
    hub = await c.startHub();
  });
  afterAll(() => c.stop());

  it('records SSH_CLIENT and the socket for an everyday mutating call such as hosts add', async () => {
    const r = await drc(['hosts', 'add', 'web-07', '--data', hub.dataDir], { SSH_CLIENT: ssh });
    expect(r.code, r.stderr).toBe(0);
    const rows = await hub.json<AuditEntryView[]>(['audit', '--host', 'web-07']);
    const add = rows.find((a) => a.action === 'hosts.add');
    expect(add).toMatchObject({ target: 'web-07', address: 'unix', ssh });
    expect(add!.actor).toMatch(/^uid:\d+$/);
  });

  it('puts the audit log, with addresses, in the log bundle', async () => {
    const out = c.file('bundle.tar.gz');
    const r = await hub.run(['logs', 'export', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const dir = c.file('bundle');
    fs.mkdirSync(dir);
    execFileSync('tar', ['-xzf', out, '-C', dir]);
    const file = (fs.readdirSync(dir, { recursive: true }) as string[]).find((f) => f.endsWith('catalog-summary.json'));
    const summary = JSON.parse(fs.readFileSync(`${dir}/${file}`, 'utf8')) as { audit: { action: string; target: string; details: string }[] };
    const add = summary.audit.find((a) => a.action === 'hosts.add' && a.target === 'web-07');
    expect(JSON.parse(add!.details)).toMatchObject({ client: { address: 'unix', ssh } });
  });

  it('refuses changes to a client that asked for the viewer role (the read-only cockpit), and lets it read', async () => {
    const viewer = await ApiClient.connect({ target: `${hub.dataDir}/api.sock`, role: 'viewer' });
    try {
      expect(await viewer.call('whoami', {})).toMatchObject({ role: 'viewer' });
      expect((await viewer.call('hosts.list', {})).map((h) => h.name)).toContain('web-07');
      const e = await viewer.call('backup.start', { host: 'web-07' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HubError);
      expect((e as HubError).message).toBe('forbidden: backup needs role operator, you are viewer');
    } finally {
      viewer.close();
    }
  });
});
