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

  /**
   * Oldest first: the rows of one drill, failover or failback run — those naming it (start,
   * verdict, cleanup) and, in the hour before it started, the pre-checks and refused starts of
   * its kind about its hosts (a confirmation mistyped, a gate that blocked) — not the rows of
   * other runs of the same hosts.
   */
  ofRun(q: { run: number; kind: string; hosts: string[]; startedAt: string }): AuditEntryView[] {
    const hosts = q.hosts.length ? q.hosts : [''];
    const before = new Date(Date.parse(q.startedAt) - RUN_LEAD_MS).toISOString();
    const sql =
      `SELECT * FROM audit WHERE action != 'report.get' AND (json_extract(details, '$.run') = ? OR (target = ? AND action IN ('drill.verdict', 'drill.cleanup')) ` +
      `OR (action LIKE ? AND target IN (${hosts.map(() => '?').join(', ')}) AND time >= ? AND time <= ? AND json_extract(details, '$.run') IS NULL)) ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(q.run, String(q.run), `${q.kind}.%`, ...hosts, before, q.startedAt, RUN_AUDIT_MAX) as Raw[]).map(entryOf);
  }
}

/** how far before a run's start its pre-checks and refused attempts are looked for */
const RUN_LEAD_MS = 3_600_000;
const RUN_AUDIT_MAX = 500;
