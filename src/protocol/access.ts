// Operator identities and the audit trail on the wire: who may do what (roles), the
// operator tokens an admin creates and revokes, and the append-only audit log.

/** viewer: read and subscribe; operator: backups, restores, drills, acks; admin: everything. */
export type Role = 'viewer' | 'operator' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** An operator token as the hub lists it (the token itself is shown once, at creation). */
export interface OperatorTokenView {
  name: string;
  role: Role;
  createdAt: string;
  /** who created it (an identity, as the audit log names it) */
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** One row of the audit log: who (an authenticated identity), from where, did what, and how it went. */
export interface AuditEntryView {
  id: number;
  time: string;
  /** `operator:NAME` (a token), `uid:N` (the unix socket's peer), `token:hub.api_token`, `agent:HOST`, `schedule:NAME` … */
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  /** the client's address (`unix` for the socket) and its SSH_CLIENT, for operator calls */
  address: string | null;
  ssh: string | null;
  details: Record<string, unknown>;
}

/** Who this connection is, as the hub sees it. */
export interface WhoAmIView {
  actor: string;
  role: Role;
  via: 'socket' | 'tcp';
  expiresAt: string | null;
}
