// The alarm domain: what the evaluator sees (facts), what it says (signals), and the
// alarms themselves with their lifecycle firing → acknowledged → resolved.
import type { AlarmEvent, AlarmLevel } from '../config/types.js';
import type { AlarmDeliveryView } from '../protocol/operator.js';

export type { AlarmLevel };
export type { AlarmState, AlarmRecord, TransitionKind, Transition, AlarmStore, AlarmLedger } from '../catalog/alarm-records.js';
import type { AlarmRecord } from '../catalog/alarm-records.js';

/** Milliseconds since the epoch; injected so that every rule is tested without waiting. */
export type Clock = () => number;


/** The latest resource sample of a host, in percent and counts. */
export interface ResourceFacts {
  time: number;
  cpu: number;
  memory: number;
  disks: { mount: string; percent: number }[];
  processes: Map<string, number>;
}

/** One finished task (backup job) of a host, for failure rates and consecutive failures. */
export interface TaskFact {
  finishedAt: number;
  ok: boolean;
}

/** What the evaluator knows about one host at one moment. */
export interface HostFacts {
  name: string;
  tags: string[];
  tier: string | null;
  /** the tier's recovery point objective, seconds; null when the host has no tier */
  rpoSeconds: number | null;
  connected: boolean;
  createdAt: number;
  /** time of the newest committed recovery point */
  lastPointAt: number | null;
  /** end of the newest successful backup */
  lastSuccessAt: number | null;
  /** changed bytes not yet in a recovery point */
  backlogBytes: number;
  /** measured link bandwidth from transfers, bytes/s; null before the first transfer */
  bandwidthBps: number | null;
  /** how fast the backlog grows, bytes/s */
  changeRateBps: number;
  linkLatencyMs: number | null;
  tokenExpiresAt: number | null;
  /** null when no sample arrived or the last one is stale */
  resources: ResourceFacts | null;
  /** finished backup tasks, oldest first */
  tasks: TaskFact[];
  /** when the next backup starts: its schedule's next run, now when one is queued, its start when one runs; null: none planned */
  nextRunAt?: number | null;
  /** how long its recent successful backups took (median), seconds */
  expectedRunSeconds?: number | null;
}

export interface CertificateFacts {
  name: string;
  notAfter: number;
}

export interface Facts {
  hosts: HostFacts[];
  certificates: CertificateFacts[];
}

/** An event the hub saw that event rules react to; `clears` ends the condition instead. */
export interface AlarmInputEvent {
  event: AlarmEvent;
  host: string | null;
  /** what within the host or hub the event is about (a copy target): its own alarm */
  subject?: string | null;
  /** the outcome as the operator reads it: Successful, Failed, Cancelled… */
  result: string;
  message: string;
  clears: boolean;
}

/** The evaluator's verdict on one alarm key: its condition holds (active) or not. */
export interface Signal {
  key: string;
  rule: string;
  level: AlarmLevel;
  host: string | null;
  /** what within the host: a mount, a process, a certificate; null for the host itself */
  subject: string | null;
  active: boolean;
  message: string;
  value: number | null;
  /** an event happened (again): counted on an open alarm, unlike a condition that still holds */
  occurrence?: boolean;
}






/** Typed error for alarm operations a user asked for (ack, resolve, test-channel). */
export class AlarmError extends Error {
  constructor(
    readonly code: 'not-found' | 'refused' | 'bad-request',
    message: string,
  ) {
    super(message);
    this.name = 'AlarmError';
  }
}
