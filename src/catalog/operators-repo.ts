// Operator tokens in the catalog (table of migration 5): a name, a role and the token's
// hash; expiry and revocation are times, so a token's history stays readable.
import type { Role } from '../protocol/access.js';
import type { Db } from './catalog.js';

export interface OperatorRow {
  id: number;
  name: string;
  role: Role;
  tokenHash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

type Raw = Record<string, unknown>;
const ns = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function operatorOf(r: Raw): OperatorRow {
  return {
    id: Number(r.id),
    name: String(r.name),
    role: String(r.role) as Role,
    tokenHash: String(r.token_hash),
    createdAt: String(r.created_at),
    createdBy: String(r.created_by),
    expiresAt: ns(r.expires_at),
    revokedAt: ns(r.revoked_at),
    lastUsedAt: ns(r.last_used_at),
  };
}

export class OperatorsRepo {
  constructor(private readonly db: Db) {}

  byName(name: string): OperatorRow | undefined {
    const r = this.db.prepare('SELECT * FROM operators WHERE name = ?').get(name) as Raw | undefined;
    return r ? operatorOf(r) : undefined;
  }

  byTokenHash(hash: string): OperatorRow | undefined {
    const r = this.db.prepare('SELECT * FROM operators WHERE token_hash = ?').get(hash) as Raw | undefined;
    return r ? operatorOf(r) : undefined;
  }

  byId(id: number): OperatorRow | undefined {
    const r = this.db.prepare('SELECT * FROM operators WHERE id = ?').get(id) as Raw | undefined;
    return r ? operatorOf(r) : undefined;
  }

  list(): OperatorRow[] {
    return (this.db.prepare('SELECT * FROM operators ORDER BY name').all() as Raw[]).map(operatorOf);
  }

  /** A new token under `name`; a revoked operator's name is taken over by the new token. */
  add(o: { name: string; role: Role; tokenHash: string; createdAt: string; createdBy: string; expiresAt: string | null }): OperatorRow {
    this.db
      .prepare(
        `INSERT INTO operators (name, role, token_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, created_at = excluded.created_at,
           created_by = excluded.created_by, expires_at = excluded.expires_at, revoked_at = NULL, last_used_at = NULL`,
      )
      .run(o.name, o.role, o.tokenHash, o.createdAt, o.createdBy, o.expiresAt);
    return this.byName(o.name)!;
  }

  revoke(id: number, at: string): void {
    this.db.prepare('UPDATE operators SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
  }

  touch(id: number, at: string): void {
    this.db.prepare('UPDATE operators SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}
