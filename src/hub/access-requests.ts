// Operator API requests about access: operator tokens (created, listed, revoked by an
// admin) and the audit log (read only: no request changes or deletes it).
import type { AuditRepo } from '../catalog/audit-repo.js';
import type { OperatorRow, OperatorsRepo } from '../catalog/operators-repo.js';
import type { OperatorTokenView } from '../protocol/access.js';
import { accessRequests } from '../protocol/operator.js';
import { ApiError, type ApiClientInfo } from './api.js';
import { methodsOf, parse } from './params.js';
import type { Clock, Journal } from './ports.js';
import { hashToken, newToken } from './tokens.js';

export const ACCESS_METHODS = methodsOf(accessRequests);

/** What the access requests use: the operator tokens, the audit log (read), the clock and the journal. */
export interface AccessRequestPorts {
  clock: Clock;
  journal: Pick<Journal, 'audit'>;
  operators: OperatorsRepo;
  audit: Pick<AuditRepo, 'list'>;
  /** close the connections whose token no longer works */
  dropLapsed(): void;
}

function operatorView(o: OperatorRow): OperatorTokenView {
  return { name: o.name, role: o.role, createdAt: o.createdAt, createdBy: o.createdBy, expiresAt: o.expiresAt, revokedAt: o.revokedAt, lastUsedAt: o.lastUsedAt };
}

export function handleAccessRequest(ports: AccessRequestPorts, method: string, params: unknown, client: ApiClientInfo): unknown {
  switch (method) {
    case 'whoami':
      parse('whoami', params);
      return { actor: client.actor, role: client.role, via: client.via, expiresAt: client.expiresAt === null ? null : new Date(client.expiresAt).toISOString() };
    case 'operators.add': {
      const p = parse('operators.add', params);
      const existing = ports.operators.byName(p.name);
      if (existing && existing.revokedAt === null) throw new ApiError('exists', `operator ${p.name} already exists (revoke it first to issue a new token)`);
      const token = newToken();
      const expiresAt = p.expiresInSeconds === undefined ? null : new Date(ports.clock.now() + p.expiresInSeconds * 1000).toISOString();
      const o = ports.operators.add({ name: p.name, role: p.role, tokenHash: hashToken(token), createdAt: ports.clock.iso(), createdBy: client.actor, expiresAt });
      ports.journal.audit(client.actor, 'operators.add', p.name, 'ok', { role: p.role, expiresAt });
      return { operator: operatorView(o), token };
    }
    case 'operators.list':
      parse('operators.list', params);
      return ports.operators.list().map(operatorView);
    case 'operators.revoke': {
      const p = parse('operators.revoke', params);
      const o = ports.operators.byName(p.name);
      if (!o) throw new ApiError('not-found', `no operator named ${p.name}`);
      ports.operators.revoke(o.id, ports.clock.iso());
      ports.journal.audit(client.actor, 'operators.revoke', p.name, 'ok', { role: o.role });
      // its open connections (a cockpit, a waiting CLI) end now, not at their next request
      setImmediate(() => ports.dropLapsed());
      return { ok: true };
    }
    case 'audit.list': {
      const p = parse('audit.list', params);
      if (p.since !== undefined && Number.isNaN(Date.parse(p.since))) throw new ApiError('bad-request', `since "${p.since}" is not an ISO 8601 time`);
      const since = p.since === undefined ? undefined : new Date(Date.parse(p.since)).toISOString();
      return ports.audit.list({ since, host: p.host, limit: p.limit ?? 1000 });
    }
    default:
      throw new ApiError('unknown-method', `unknown method ${method}`);
  }
}
