// Alarms and their delivery log in the catalog (tables of migration 3): the alarm service's
// AlarmLedger port, and the counts the /metrics endpoint reads.
import type { AlarmLedger, AlarmRecord, DeliveryAttempt } from './alarm-records.js';
import type { AlarmDeliveryView } from '../protocol/operator.js';
import type { Db } from './columns.js';

type Raw = Record<string, unknown>;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Date.parse(String(v)));
const ns = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function alarmOf(r: Raw): AlarmRecord {
  return {
    id: Number(r.id),
    key: String(r.key),
    rule: String(r.rule),
    level: String(r.level) as AlarmRecord['level'],
    host: ns(r.host),
    subject: ns(r.subject),
    state: String(r.state) as AlarmRecord['state'],
    message: String(r.message),
    value: r.value === null ? null : Number(r.value),
    firedAt: ms(r.fired_at)!,
    lastFiredAt: ms(r.last_fired_at)!,
    count: Number(r.count),
    flapping: r.flapping === 1,
    slaDueAt: ms(r.sla_due_at),
    slaBreached: r.sla_breached === 1,
    ackedAt: ms(r.acked_at),
    ackedBy: ns(r.acked_by),
    ackNote: ns(r.ack_note),
    resolvedAt: ms(r.resolved_at),
    resolvedBy: ns(r.resolved_by),
    resolveNote: ns(r.resolve_note),
  };
}

export type DeliverySummary = AlarmDeliveryView;

export class SqliteAlarmStore implements AlarmLedger {
  constructor(private readonly db: Db) {}

  insert(a: Omit<AlarmRecord, 'id'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO alarms (key, rule, level, host, subject, state, message, value, fired_at, last_fired_at, count, flapping, sla_due_at, sla_breached)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.key, a.rule, a.level, a.host, a.subject, a.state, a.message, a.value, iso(a.firedAt), iso(a.lastFiredAt), a.count, a.flapping ? 1 : 0, iso(a.slaDueAt), a.slaBreached ? 1 : 0);
    return Number(info.lastInsertRowid);
  }

  update(a: AlarmRecord): void {
    this.db
      .prepare(
        `UPDATE alarms SET state = ?, message = ?, value = ?, last_fired_at = ?, count = ?, flapping = ?, sla_due_at = ?, sla_breached = ?,
         acked_at = ?, acked_by = ?, ack_note = ?, resolved_at = ?, resolved_by = ?, resolve_note = ? WHERE id = ?`,
      )
      .run(a.state, a.message, a.value, iso(a.lastFiredAt), a.count, a.flapping ? 1 : 0, iso(a.slaDueAt), a.slaBreached ? 1 : 0,
        iso(a.ackedAt), a.ackedBy, a.ackNote, iso(a.resolvedAt), a.resolvedBy, a.resolveNote, a.id);
  }

  open(): AlarmRecord[] {
    return (this.db.prepare("SELECT * FROM alarms WHERE state != 'resolved' ORDER BY id").all() as Raw[]).map(alarmOf);
  }

  get(id: number): AlarmRecord | undefined {
    const r = this.db.prepare('SELECT * FROM alarms WHERE id = ?').get(id) as Raw | undefined;
    return r && alarmOf(r);
  }

  /** Newest first: open ones only, or every state. */
  list(open: boolean, limit: number): AlarmRecord[] {
    const sql = open ? "SELECT * FROM alarms WHERE state != 'resolved' ORDER BY id DESC LIMIT ?" : 'SELECT * FROM alarms ORDER BY id DESC LIMIT ?';
    return (this.db.prepare(sql).all(limit) as Raw[]).map(alarmOf);
  }

  /** Open alarms and those resolved since `sinceIso`, newest first. */
  recent(sinceIso: string, limit: number): AlarmRecord[] {
    return (this.db.prepare("SELECT * FROM alarms WHERE state != 'resolved' OR resolved_at >= ? ORDER BY id DESC LIMIT ?").all(sinceIso, limit) as Raw[]).map(alarmOf);
  }

  countsByLevel(): { level: string; state: string; n: number }[] {
    return this.db.prepare('SELECT level, state, COUNT(*) AS n FROM alarms GROUP BY level, state').all() as { level: string; state: string; n: number }[];
  }

  recordDelivery(d: DeliveryAttempt): void {
    this.db
      .prepare('INSERT INTO alarm_deliveries (alarm_id, channel, transition, attempt, time, ok, error) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(d.alarmId, d.channel, d.transition, d.attempt, iso(d.time), d.ok ? 1 : 0, d.error);
  }

  /** The latest attempt per channel and transition of one alarm. */
  deliveries(alarmId: number): DeliverySummary[] {
    const rows = this.db
      .prepare(
        `SELECT channel, transition, attempt, time, ok, error FROM alarm_deliveries d
         WHERE alarm_id = ? AND id = (SELECT MAX(id) FROM alarm_deliveries e WHERE e.alarm_id = d.alarm_id AND e.channel = d.channel AND e.transition = d.transition)
         ORDER BY id`,
      )
      .all(alarmId) as Raw[];
    return rows.map((r) => ({ channel: String(r.channel), transition: String(r.transition), ok: r.ok === 1, attempts: Number(r.attempt), error: ns(r.error), time: String(r.time) }));
  }

  deliveryFailures(): { channel: string; n: number }[] {
    return this.db.prepare('SELECT channel, COUNT(*) AS n FROM alarm_deliveries WHERE ok = 0 GROUP BY channel').all() as { channel: string; n: number }[];
  }

  deliveryCounts(): { channel: string; ok: number; n: number }[] {
    return this.db.prepare('SELECT channel, ok, COUNT(*) AS n FROM alarm_deliveries GROUP BY channel, ok').all() as { channel: string; ok: number; n: number }[];
  }
}
