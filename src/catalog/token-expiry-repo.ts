// When each host's agent token expires (migration 3's hosts.token_expires_at; null = never).
import type { Db } from './catalog.js';

export interface TokenExpiry {
  hostId: number;
  host: string;
  expiresAt: string;
}

export class TokenExpiryRepo {
  constructor(private readonly db: Db) {}

  set(hostId: number, expiresAt: string | null): void {
    this.db.prepare('UPDATE hosts SET token_expires_at = ? WHERE id = ?').run(expiresAt, hostId);
  }

  expiresAt(hostId: number): string | null {
    const r = this.db.prepare('SELECT token_expires_at AS t FROM hosts WHERE id = ?').get(hostId) as { t: string | null } | undefined;
    return r?.t ?? null;
  }

  /** Tokens of hosts not revoked that expire at all. */
  expiring(): TokenExpiry[] {
    const rows = this.db.prepare('SELECT id, name, token_expires_at AS t FROM hosts WHERE token_expires_at IS NOT NULL AND revoked = 0').all() as { id: number; name: string; t: string }[];
    return rows.map((r) => ({ hostId: r.id, host: r.name, expiresAt: r.t }));
  }

  /** Hosts whose token expired by a time (for the check of connected agents during their session). */
  expiredBy(nowIso: string): string[] {
    return (this.db.prepare('SELECT name FROM hosts WHERE token_expires_at IS NOT NULL AND token_expires_at <= ?').all(nowIso) as { name: string }[]).map((r) => r.name);
  }
}
