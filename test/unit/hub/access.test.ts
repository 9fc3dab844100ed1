// Who a connection is and what it may call, over a real catalog: the socket's peer gets the
// configured role (or nothing), tokens their own, a client may ask for less but never more,
// an expired or revoked token stops working, and refused logins are audited without flooding.
import type http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperatorAccess } from '../../../src/hub/access.js';
import type { ApiClientInfo } from '../../../src/hub/api.js';
import { hashToken } from '../../../src/hub/tokens.js';
import { TempCatalog } from '../catalog/temp-catalog.js';
import { ManualClock } from './fake-ports.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function req(headers: Record<string, string>, remote = '10.0.0.9'): http.IncomingMessage {
  return { headers, socket: { remoteAddress: remote, remotePort: 50000 } } as unknown as http.IncomingMessage;
}

describe('operator access', () => {
  let tc: TempCatalog;
  let clock: ManualClock;
  let audits: { actor: string; action: string; outcome: string }[];
  const access = (socketRole: 'admin' | 'viewer' | null = 'admin') =>
    new OperatorAccess({ apiToken: 'bootstrap-admin', socketRole, operators: tc.catalog.repos.operators, audit: (actor, action, _t, outcome) => audits.push({ actor, action, outcome }), now: clock.now });
  const client = (a: OperatorAccess, r: http.IncomingMessage, via: 'socket' | 'tcp'): ApiClientInfo => ({ ...a.authenticate(r, via)!, subscribed: false });

  beforeEach(() => {
    tc = new TempCatalog();
    clock = new ManualClock(T0);
    audits = [];
    tc.catalog.repos.operators.add({ name: 'ops', role: 'operator', tokenHash: hashToken('ops-token'), createdAt: clock.iso(), createdBy: 'test', expiresAt: new Date(T0 + 3600_000).toISOString() });
  });
  afterEach(() => tc.dispose());

  it('gives the socket peer the configured role, and nothing without a token when the role is none', () => {
    expect(access('admin').authenticate(req({}), 'socket')).toMatchObject({ actor: `uid:${process.getuid!()}`, role: 'admin', address: 'unix' });
    expect(access('viewer').authenticate(req({}), 'socket')).toMatchObject({ role: 'viewer' });
    expect(access(null).authenticate(req({}), 'socket')).toBeNull();
    expect(access(null).authenticate(req({ authorization: 'Bearer ops-token' }), 'socket')).toMatchObject({ actor: 'operator:ops', role: 'operator' });
  });

  it('never admits a TCP client without a token, and keeps hub.api_token an admin', () => {
    const a = access();
    expect(a.authenticate(req({}), 'tcp')).toBeNull();
    expect(a.authenticate(req({ authorization: 'Bearer bootstrap-admin' }), 'tcp')).toMatchObject({ actor: 'token:hub.api_token', role: 'admin' });
  });

  it('lets a client ask for less than its token grants, never more', () => {
    const a = access();
    expect(a.authenticate(req({ authorization: 'Bearer ops-token', 'x-drc-role': 'viewer' }), 'tcp')).toMatchObject({ role: 'viewer' });
    expect(a.authenticate(req({ authorization: 'Bearer ops-token', 'x-drc-role': 'admin' }), 'tcp')).toMatchObject({ role: 'operator' });
    expect(a.authenticate(req({ authorization: 'Bearer ops-token', 'x-drc-role': 'root' }), 'tcp')).toMatchObject({ role: 'operator' });
  });

  it('refuses by the method table, in one line, and audits the refusal', () => {
    const a = access();
    const ops = client(a, req({ authorization: 'Bearer ops-token' }), 'tcp');
    expect(a.refuse(ops, 'backup.start', {})).toBeNull();
    expect(a.refuse(ops, 'failover.start', { host: 'web-01' })?.message).toBe('forbidden: failover needs role admin, you are operator');
    expect(a.refuse(ops, 'no.such.method', {})?.code).toBe('unknown-method');
    expect(audits).toEqual([{ actor: 'operator:ops', action: 'failover.start', outcome: 'forbidden' }]);
  });

  it('stops a token at its expiry and at its revocation, also for a connection already open', () => {
    const a = access();
    const ops = client(a, req({ authorization: 'Bearer ops-token' }), 'tcp');
    clock.t = T0 + 3600_000;
    expect(a.lapsed(ops)).toBe('operator token expired');
    expect(a.refuse(ops, 'jobs.list', {})?.code).toBe('unauthorized');
    expect(a.authenticate(req({ authorization: 'Bearer ops-token' }), 'tcp')).toBeNull();
    clock.t = T0;
    tc.catalog.repos.operators.revoke(ops.operatorId!, clock.iso());
    expect(a.lapsed(ops)).toBe('operator token revoked');
  });

  it('audits refused logins at most once per address every 10 s, counting the others', () => {
    const a = access();
    for (let i = 0; i < 5; i++) a.authenticate(req({ authorization: 'Bearer wrong' }), 'tcp');
    clock.t += 10_000;
    a.authenticate(req({ authorization: 'Bearer wrong' }), 'tcp');
    a.authenticate(req({ authorization: 'Bearer wrong' }, '10.0.0.10'), 'tcp');
    expect(audits.filter((x) => x.action === 'api.login')).toHaveLength(3);
  });
});
