// Operator roles are the hub's business: a viewer token is refused every method that
// changes anything (all of them, from the method table), an operator cannot fail over,
// refusals are one line and audited under the token's name with the client's address,
// and a revoked or expired token loses its open connection at once.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, HubError } from '../../src/client/api-client.js';
import type { AuditEntryView, MethodName, OperatorMethods } from '../../src/protocol/operator.js';
import { METHOD_ROLES } from '../../src/protocol/roles.js';
import { HubProc, drc, waitFor } from '../helpers/cluster.js';
import { Cluster, freePort } from './support.js';

describe('operator roles', () => {
  const c = new Cluster();
  let hub: HubProc;
  let url = '';
  let clockFile = '';
  const adminToken = 'admin-bootstrap-token-0123456789abcdef';
  const tokens: Record<string, string> = {};
  const open: ApiClient[] = [];

  async function as(token: string): Promise<ApiClient> {
    const cl = await ApiClient.connect({ target: url, token });
    open.push(cl);
    return cl;
  }

  async function addOperator(name: string, role: string, extra: string[] = []): Promise<string> {
    const r = await hub.json<{ token: string; operator: { role: string } }>(['operators', 'add', name, '--role', role, ...extra]);
    expect(r.operator.role).toBe(role);
    return r.token;
  }

  function auditRows(): Promise<AuditEntryView[]> {
    return hub.json<AuditEntryView[]>(['audit']);
  }

  beforeAll(async () => {
    const port = await freePort();
    url = `ws://127.0.0.1:${port}`;
    clockFile = c.file('clock');
    fs.writeFileSync(clockFile, '0');
    process.env.DRC_TEST_CLOCK_FILE = clockFile;
    fs.writeFileSync(c.file('drc.yaml'), `hub:\n  listen:\n    api_tcp: 127.0.0.1:${port}\n  api_token: ${adminToken}\n`);
    hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
    delete process.env.DRC_TEST_CLOCK_FILE;
    tokens.viewer = await addOperator('watcher', 'viewer');
    tokens.operator = await addOperator('ops1', 'operator');
    await hub.addHost('h1');
  });
  afterAll(async () => {
    for (const cl of open) cl.close();
    await c.stop();
  });

  it('refuses a viewer every method that changes something, before looking at its parameters', async () => {
    const viewer = await as(tokens.viewer!);
    const mutating = (Object.keys(METHOD_ROLES) as MethodName[]).filter((m) => METHOD_ROLES[m] !== 'viewer');
    expect(mutating).toEqual(expect.arrayContaining(['backup.start', 'restore.start', 'failover.start', 'retention.prune', 'store.gc', 'hosts.revoke', 'operators.add', 'drill.start', 'alarms.ack']));
    for (const m of mutating) {
      const err = await viewer.call(m, {} as OperatorMethods[typeof m]['params']).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, m).toBeInstanceOf(HubError);
      expect((err as HubError).code, m).toBe('forbidden');
      expect((err as HubError).message, m).toBe(`forbidden: ${m.replace(/\.start$/, '')} needs role ${METHOD_ROLES[m]}, you are viewer`);
    }
  });

  it('lets a viewer read every read-only method and subscribe to the live feed', async () => {
    const viewer = await as(tokens.viewer!);
    for (const m of (Object.keys(METHOD_ROLES) as MethodName[]).filter((x) => METHOD_ROLES[x] === 'viewer')) {
      const err = await viewer.call(m, {} as OperatorMethods[typeof m]['params']).then(
        () => null,
        (e: unknown) => e as HubError,
      );
      // a read may still want parameters; what it must not be is forbidden
      expect(err?.code, m).not.toBe('forbidden');
    }
    let snapshot = false;
    viewer.onUpdate((u) => (snapshot ||= u.type === 'snapshot'));
    await viewer.call('subscribe', {});
    await waitFor('snapshot', () => snapshot);
    expect(await viewer.call('whoami', {})).toMatchObject({ actor: 'operator:watcher', role: 'viewer', via: 'tcp' });
  });

  it('does not let an operator fail over', async () => {
    const operator = await as(tokens.operator!);
    await expect(operator.call('failover.start', { host: 'h1', confirm: 'h1' })).rejects.toThrow(new HubError('forbidden', 'forbidden: failover needs role admin, you are operator'));
    expect(await hub.json<unknown[]>(['report', 'list'])).toEqual([]);
  });

  it('says why a command is refused in one line', async () => {
    const r = await drc(['backup', 'h1', '--hub', url], { DRC_TOKEN: tokens.viewer! });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('drc: forbidden: backup needs role operator, you are viewer\n');
  });

  it('lets an operator start backups', async () => {
    const r = await drc(['backup', 'no-such-host', '--hub', url], { DRC_TOKEN: tokens.operator! });
    expect(r.stderr).toMatch(/no host named no-such-host/);
  });

  it('audits a refusal under the token name and the client address, not the user name the client claims', async () => {
    const r = await drc(['backup', 'h1', '--hub', url], { DRC_TOKEN: tokens.viewer!, USER: 'mallory' });
    expect(r.code).toBe(1);
    const rows = (await auditRows()).filter((x) => x.action === 'backup.start' && x.outcome === 'forbidden');
    const last = rows[rows.length - 1]!;
    expect(last.actor).toBe('operator:watcher');
    expect(last.target).toBe('h1');
    expect(last.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(last)).not.toContain('mallory');
  });

  it('audits every mutating call with who and from where, through the unix socket too', async () => {
    await hub.run(['backup', 'ghost']);
    const rows = (await auditRows()).filter((x) => x.action === 'backup.start' && x.target === 'ghost');
    expect(rows[rows.length - 1]).toMatchObject({ actor: `uid:${process.getuid!()}`, address: 'unix', outcome: expect.stringMatching(/^failed: no host named ghost/) });
    const added = (await auditRows()).find((x) => x.action === 'operators.add' && x.target === 'watcher');
    expect(added).toMatchObject({ actor: `uid:${process.getuid!()}`, address: 'unix' });
  });

  it('refuses a wrong token with 401 and audits the refused login', async () => {
    const r = await drc(['status', '--hub', url], { DRC_TOKEN: 'drc_not-a-real-token' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/operator token required or wrong/);
    const rows = (await auditRows()).filter((x) => x.action === 'api.login' && x.outcome === 'refused');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[rows.length - 1]!.address).toMatch(/^127\.0\.0\.1:/);
  });

  it('keeps hub.api_token an admin token', async () => {
    const admin = await as(adminToken);
    expect(await admin.call('whoami', {})).toMatchObject({ actor: 'token:hub.api_token', role: 'admin' });
    expect((await admin.call('operators.list', {})).map((o) => o.name)).toEqual(expect.arrayContaining(['ops1', 'watcher']));
  });

  it('connects the read-only cockpit as a viewer even on the admin socket', async () => {
    const ro = await ApiClient.connect({ target: `${c.hubData}/api.sock`, role: 'viewer' });
    open.push(ro);
    await expect(ro.call('backup.start', { host: 'h1' })).rejects.toThrow('forbidden: backup needs role operator, you are viewer');
  });

  it('closes a revoked token\'s open connection at once and refuses it afterwards', async () => {
    const t = await addOperator('temp-op', 'operator');
    const cl = await as(t);
    await cl.call('subscribe', { snapshot: false });
    let lost = false;
    cl.onConnection((s) => (lost ||= s === 'lost'));
    const r = await hub.run(['operators', 'revoke', 'temp-op']);
    expect(r.code).toBe(0);
    await waitFor('revoked connection closed', () => lost, 3000);
    await expect(ApiClient.connect({ target: url, token: t })).rejects.toThrow(/token required or wrong/);
    const list = await hub.json<{ name: string; revokedAt: string | null }[]>(['operators']);
    expect(list.find((o) => o.name === 'temp-op')!.revokedAt).not.toBeNull();
  });

  it('closes an expired token\'s open connection within seconds of its expiry', async () => {
    const t = await addOperator('short-lived', 'viewer', ['--expires', '2m']);
    const cl = await as(t);
    await cl.call('subscribe', { snapshot: false });
    let lost = false;
    cl.onConnection((s) => (lost ||= s === 'lost'));
    fs.writeFileSync(clockFile, String(3 * 60_000));
    await waitFor('expired connection closed', () => lost, 5000);
    await expect(ApiClient.connect({ target: url, token: t })).rejects.toThrow(/token required or wrong/);
    fs.writeFileSync(clockFile, '0');
  });

  it('refuses --expires under a minute with one line naming the option', async () => {
    const r = await hub.run(['operators', 'add', 'blink', '--role', 'viewer', '--expires', '30s']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('drc: operators add: --expires 30s: a token must live at least 60 s');
  });

  it('keeps the audit log append-only: the catalog refuses to change or delete a row', async () => {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(`${c.hubData}/catalog.db`);
    try {
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE audit SET actor = 'someone'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});
