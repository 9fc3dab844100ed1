// Who is calling and what they may do. A TCP client shows a token: the configured
// hub.api_token (an admin) or an operator token (its role); the unix socket's peer can only
// be the hub's own user (the socket is mode 0600) and gets the configured role. A client
// may ask for less (`x-drc-role`, the read-only cockpit). Every request is checked against
// the method table; refusals and every mutating call are audited with who and from where.
import type http from 'node:http';
import type { OperatorsRepo } from '../catalog/operators-repo.js';
import type { Role } from '../protocol/access.js';
import { forbiddenMessage, isMutating, isRole, lesserRole, requiredRole, roleAtLeast } from '../protocol/roles.js';
import { ApiError, type ApiAccess, type ApiClientInfo, type ApiIdentity } from './api.js';
import { withCaller } from './caller.js';
import { hashToken } from './tokens.js';

export interface AccessOptions {
  /** hub.api_token: an admin token kept for compatibility; null when not configured */
  apiToken: string | null;
  /** the role of the unix socket's peer (the hub's own user); null: it needs a token too */
  socketRole: Role | null;
  operators: OperatorsRepo;
  audit(actor: string, action: string, target: string | null, outcome: string, details: object): void;
  now(): number;
}

/** refused logins from one address are audited at most once per this many ms (the rest counted) */
const LOGIN_AUDIT_EVERY_MS = 10_000;
const MAX_LOGIN_SOURCES = 10_000;

function bearer(req: http.IncomingMessage): string | undefined {
  const a = req.headers.authorization;
  return typeof a === 'string' && a.startsWith('Bearer ') ? a.slice(7) : undefined;
}

function header(req: http.IncomingMessage, name: string, max: number): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v.slice(0, max) : null;
}

/** what a request is about, for the audit row of a call that wrote none itself */
function targetOf(params: unknown): string | null {
  if (typeof params !== 'object' || params === null) return null;
  const p = params as Record<string, unknown>;
  for (const k of ['host', 'name', 'id']) if (typeof p[k] === 'string' || typeof p[k] === 'number') return String(p[k]);
  if (Array.isArray(p.hosts)) return p.hosts.filter((h) => typeof h === 'string').join(',') || null;
  return null;
}

export class OperatorAccess implements ApiAccess {
  private refusedLogins = new Map<string, { last: number; suppressed: number }>();

  constructor(private readonly o: AccessOptions) {}

  /** A config reload: hub.api_token and the socket peer's role from now on (removed ones end their connections; a changed role applies at reconnect). */
  reconfigure(o: Pick<AccessOptions, 'apiToken' | 'socketRole'>): void {
    this.o.apiToken = o.apiToken;
    this.o.socketRole = o.socketRole;
  }

  authenticate(req: http.IncomingMessage, via: 'socket' | 'tcp'): ApiIdentity | null {
    const address = via === 'socket' ? 'unix' : `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const ssh = header(req, 'x-drc-ssh', 128);
    const token = bearer(req);
    let who: { actor: string; role: Role; operatorId: number | null; expiresAt: number | null } | null = null;
    if (token !== undefined) who = this.byToken(token);
    else if (via === 'socket' && this.o.socketRole) who = { actor: `uid:${process.getuid?.() ?? '?'}`, role: this.o.socketRole, operatorId: null, expiresAt: null };
    if (!who) {
      this.auditRefusedLogin(address, ssh, token === undefined ? 'no token' : 'unknown, expired or revoked token');
      return null;
    }
    const asked = header(req, 'x-drc-role', 16);
    const role = isRole(asked) ? lesserRole(asked, who.role) : who.role;
    return { ...who, role, via, address, ssh, user: header(req, 'x-drc-user', 64) };
  }

  private byToken(token: string): { actor: string; role: Role; operatorId: number | null; expiresAt: number | null } | null {
    if (this.o.apiToken !== null && hashToken(token) === hashToken(this.o.apiToken)) {
      return { actor: 'token:hub.api_token', role: 'admin', operatorId: null, expiresAt: null };
    }
    const op = this.o.operators.byTokenHash(hashToken(token));
    if (!op || op.revokedAt !== null) return null;
    const expiresAt = op.expiresAt === null ? null : Date.parse(op.expiresAt);
    if (expiresAt !== null && expiresAt <= this.o.now()) return null;
    this.o.operators.touch(op.id, new Date(this.o.now()).toISOString());
    return { actor: `operator:${op.name}`, role: op.role, operatorId: op.id, expiresAt };
  }

  /** Refused logins are audited, at most one row per address every 10 s (with the count of the others). */
  private auditRefusedLogin(address: string, ssh: string | null, why: string): void {
    const host = address.replace(/:\d+$/, '');
    const now = this.o.now();
    const seen = this.refusedLogins.get(host);
    if (seen && now - seen.last < LOGIN_AUDIT_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    if (this.refusedLogins.size >= MAX_LOGIN_SOURCES) this.refusedLogins.clear();
    this.refusedLogins.set(host, { last: now, suppressed: 0 });
    this.o.audit('anonymous', 'api.login', null, 'refused', { reason: why, client: { address, ssh }, alsoRefused: seen?.suppressed ?? 0 });
  }

  lapsed(info: ApiClientInfo): string | null {
    if (info.expiresAt !== null && info.expiresAt <= this.o.now()) return 'operator token expired';
    // a config reload may take away hub.api_token or the socket's access
    if (info.actor === 'token:hub.api_token' && this.o.apiToken === null) return 'hub.api_token removed from the config';
    if (info.via === 'socket' && info.actor.startsWith('uid:') && this.o.socketRole === null) return 'the socket no longer admits its peer without a token';
    if (info.operatorId !== null) {
      const op = this.o.operators.byId(info.operatorId);
      if (!op || op.revokedAt !== null) return 'operator token revoked';
    }
    return null;
  }

  refuse(info: ApiClientInfo, method: string, params: unknown): ApiError | null {
    const need = requiredRole(method);
    if (need === undefined) return new ApiError('unknown-method', `unknown method ${method}`);
    const gone = this.lapsed(info);
    if (gone) return new ApiError('unauthorized', `${gone}; ask an admin for a new one`);
    if (roleAtLeast(info.role, need)) return null;
    const message = forbiddenMessage(method, need, info.role);
    this.o.audit(info.actor, method, targetOf(params), 'forbidden', { need, role: info.role, client: { address: info.address, ssh: info.ssh ?? null } });
    return new ApiError('forbidden', message);
  }

  async run<T>(info: ApiClientInfo, method: string, params: unknown, fn: () => Promise<T>): Promise<T> {
    if (!isMutating(method)) return fn();
    const caller = { actor: info.actor, address: info.address, ssh: info.ssh ?? null, audited: false };
    return withCaller(caller, async () => {
      try {
        const r = await fn();
        if (!caller.audited) this.o.audit(info.actor, method, targetOf(params), 'ok', { role: info.role });
        return r;
      } catch (e) {
        if (!caller.audited) this.o.audit(info.actor, method, targetOf(params), `failed: ${(e as Error).message.split('\n')[0]}`, { role: info.role });
        throw e;
      }
    });
  }
}
