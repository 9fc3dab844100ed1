// Agent tokens past their expiry (hosts.token_expires_at, migration 3), for the hub's
// check of connected agents during their session.
import type { Db } from './catalog.js';

export function hostsWithExpiredTokens(db: Db, nowIso: string): string[] {
  return (db.prepare('SELECT name FROM hosts WHERE token_expires_at IS NOT NULL AND token_expires_at <= ?').all(nowIso) as { name: string }[]).map((r) => r.name);
}
