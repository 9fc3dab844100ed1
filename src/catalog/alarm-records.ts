// The records of alarms and their notifications as the catalog keeps them; the alarm
// domain (src/alarms) works on these shapes and is handed an AlarmLedger as its store.
import type { AlarmLevel } from '../config/types.js';
import type { AlarmDeliveryView } from '../protocol/operator.js';

export interface DeliveryAttempt {
  alarmId: number | null;
  channel: string;
  transition: string;
  attempt: number;
  time: number;
  ok: boolean;
  error: string | null;
}

export type AlarmState = 'firing' | 'acknowledged' | 'resolved';

export interface AlarmRecord {
  id: number;
  key: string;
  rule: string;
  level: AlarmLevel;
  host: string | null;
  subject: string | null;
  state: AlarmState;
  message: string;
  value: number | null;
  firedAt: number;
  lastFiredAt: number;
  /** how many times the condition fired under this alarm (dedup) */
  count: number;
  flapping: boolean;
  /** acknowledge before this, or the SLA is breached; null once acknowledged or resolved */
  slaDueAt: number | null;
  slaBreached: boolean;
  ackedAt: number | null;
  ackedBy: string | null;
  ackNote: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolveNote: string | null;
}

export type TransitionKind = 'fired' | 'acknowledged' | 'resolved' | 'sla_breached' | 'flapping';

export interface Transition {
  kind: TransitionKind;
  alarm: AlarmRecord;
  actor: string;
  note: string | null;
}

/** Persistence of alarms; the catalog in the hub, a map in tests. */
export interface AlarmStore {
  insert(a: Omit<AlarmRecord, 'id'>): number;
  update(a: AlarmRecord): void;
  open(): AlarmRecord[];
  get(id: number): AlarmRecord | undefined;
}

/** What the alarm service keeps: the alarms, and the log of their notifications. */
export interface AlarmLedger extends AlarmStore {
  /** Newest first: open ones only, or every state. */
  list(open: boolean, limit: number): AlarmRecord[];
  /** Open alarms and those resolved since `sinceIso`, newest first. */
  recent(sinceIso: string, limit: number): AlarmRecord[];
  recordDelivery(d: DeliveryAttempt): void;
  /** The latest attempt per channel and transition of one alarm. */
  deliveries(alarmId: number): AlarmDeliveryView[];
}
