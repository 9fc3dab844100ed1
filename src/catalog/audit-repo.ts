// Reading the audit log (table of migration 1, append-only since migration 5): rows by
// time and by host, with the client's address and SSH_CLIENT taken out of the details.
import type { AuditEntryView } from '../protocol/access.js';
import type { Db } from './catalog.js';

type Raw = Record<string, unknown>;

function entryOf(r: Raw): AuditEntryView {
  let details: Record<string, unknown> = {};
  try {
    const d = JSON.parse(String(r.details)) as unknown;
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) details = d as Record<string, unknown>;
  } catch {
    // a row written by hand: no details
  }
  const { client, ...rest } = details;
  const c = (typeof client === 'object' && client !== null ? client : {}) as { address?: unknown; ssh?: unknown };
  return {
    id: Number(r.id),
    time: String(r.time),
    actor: String(r.actor),
    action: String(r.action),
    target: r.target === null ? null : String(r.target),
    outcome: String(r.outcome),
    address: typeof c.address === 'string' ? c.address : null,
    ssh: typeof c.ssh === 'string' ? c.ssh : null,
    details: rest,
  };
}

export class AuditRepo {
  constructor(private readonly db: Db) {}

  /** Oldest first: the newest `limit` rows at or after `since` (ISO), about `host` when given. */
  list(q: { since?: string; host?: string; limit: number }): AuditEntryView[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.since) {
      where.push('time >= ?');
      args.push(q.since);
    }
    if (q.host) {
      // about a host: its name as the target, an agent of it, or a host named in the details
      where.push("(target = ? OR actor = ? OR json_extract(details, '$.host') = ?)");
      args.push(q.host, `agent:${q.host}`, q.host);
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Raw[]).map(entryOf).reverse();
  }
}
