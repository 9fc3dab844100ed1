// Operator API requests about access: operator tokens (created, listed, revoked by an
// admin) and the audit log (read only: no request changes or deletes it).
import { AuditRepo } from '../catalog/audit-repo.js';
import type { OperatorRow } from '../catalog/operators-repo.js';
import type { OperatorTokenView } from '../protocol/access.js';
import { int, name, obj, oneOf, optional, str } from '../protocol/schema.js';
import { ApiError, type ApiClientInfo } from './api.js';
import type { Hub } from './hub.js';
import { paramsParser } from './params.js';
import { hashToken, newToken } from './tokens.js';

const schemas = {
  'whoami': obj({}),
  'operators.add': obj({ name, role: oneOf('viewer', 'operator', 'admin'), expiresInSeconds: optional(int(60, 10 * 366 * 86_400)) }),
  'operators.list': obj({}),
  'operators.revoke': obj({ name }),
  'audit.list': obj({ since: optional(str(64)), host: optional(name), limit: optional(int(1, 100_000)) }),
};

export const ACCESS_METHODS = new Set(Object.keys(schemas));

const parse = paramsParser(schemas);

function operatorView(o: OperatorRow): OperatorTokenView {
  return { name: o.name, role: o.role, createdAt: o.createdAt, createdBy: o.createdBy, expiresAt: o.expiresAt, revokedAt: o.revokedAt, lastUsedAt: o.lastUsedAt };
}

export function handleAccessRequest(hub: Hub, method: string, params: unknown, client: ApiClientInfo): unknown {
  switch (method) {
    case 'whoami':
      parse('whoami', params);
      return { actor: client.actor, role: client.role, via: client.via, expiresAt: client.expiresAt === null ? null : new Date(client.expiresAt).toISOString() };
    case 'operators.add': {
      const p = parse('operators.add', params);
      const existing = hub.operators.byName(p.name);
      if (existing && existing.revokedAt === null) throw new ApiError('exists', `operator ${p.name} already exists (revoke it first to issue a new token)`);
      const token = newToken();
      const expiresAt = p.expiresInSeconds === undefined ? null : new Date(hub.now() + p.expiresInSeconds * 1000).toISOString();
      const o = hub.operators.add({ name: p.name, role: p.role, tokenHash: hashToken(token), createdAt: hub.iso(), createdBy: client.actor, expiresAt });
      hub.audit(client.actor, 'operators.add', p.name, 'ok', { role: p.role, expiresAt });
      return { operator: operatorView(o), token };
    }
    case 'operators.list':
      parse('operators.list', params);
      return hub.operators.list().map(operatorView);
    case 'operators.revoke': {
      const p = parse('operators.revoke', params);
      const o = hub.operators.byName(p.name);
      if (!o) throw new ApiError('not-found', `no operator named ${p.name}`);
      hub.operators.revoke(o.id, hub.iso());
      hub.audit(client.actor, 'operators.revoke', p.name, 'ok', { role: o.role });
      // its open connections (a cockpit, a waiting CLI) end now, not at their next request
      setImmediate(() => hub.api.dropLapsed());
      return { ok: true };
    }
    case 'audit.list': {
      const p = parse('audit.list', params);
      if (p.since !== undefined && Number.isNaN(Date.parse(p.since))) throw new ApiError('bad-request', `since "${p.since}" is not an ISO 8601 time`);
      const since = p.since === undefined ? undefined : new Date(Date.parse(p.since)).toISOString();
      return new AuditRepo(hub.catalog.db).list({ since, host: p.host, limit: p.limit ?? 1000 });
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
