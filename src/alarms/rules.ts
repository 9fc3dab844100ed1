// Alarm rules as the config defines them, the defaults in force when the config has none,
// and the per-level acknowledgement SLA.
import type { AlarmLevel, AlarmRuleConfig } from '../config/types.js';

export type AlarmRule = AlarmRuleConfig;

const base = { for: 0, window: null, hosts: [], result: null, channels: [] };

/** In force when the config has no `alarms:`: an operator is told about the essentials. */
export function defaultRules(): AlarmRule[] {
  return [
    { ...base, name: 'host-disconnected', kind: 'event', event: 'host_disconnected', level: 'critical' },
    { ...base, name: 'backup-failed', kind: 'event', event: 'sync_failed', level: 'critical', result: 'Failed' },
    { ...base, name: 'store-full', kind: 'event', event: 'store_full', level: 'critical', result: 'Failed' },
    { ...base, name: 'data-exposed', kind: 'event', event: 'data_exposed', level: 'warning', result: 'Failed' },
    { ...base, name: 'verify-failed', kind: 'event', event: 'verify_failed', level: 'critical', result: 'Failed' },
    { ...base, name: 'suspicious-change', kind: 'event', event: 'suspicious_change', level: 'critical', result: 'Failed' },
    // a restore, drill or failover that failed, or a recovered host's VM that went down on its own
    { ...base, name: 'start-host-failed', kind: 'event', event: 'host_start_failed', level: 'critical', result: 'Failed' },
    // a copy run that failed or a copy behind its RPO (result Failed or Behind); the next good run clears it
    { ...base, name: 'copy-failed', kind: 'event', event: 'copy_failed', level: 'warning' },
    { ...base, name: 'rpo-breach', kind: 'metric', metric: 'rpo', op: '>', threshold: null, process: null, level: 'warning' },
  ];
}

export function rulesInForce(configured: AlarmRule[]): AlarmRule[] {
  return configured.length ? configured : defaultRules();
}

/** Seconds within which an alarm of each level should be acknowledged. */
export const ACK_SLA_SECONDS: Record<AlarmLevel, number> = {
  urgent: 5 * 60,
  critical: 15 * 60,
  warning: 60 * 60,
  info: 4 * 3600,
};

export const LEVEL_ORDER: AlarmLevel[] = ['info', 'warning', 'critical', 'urgent'];

export function compare(op: string, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    default:
      return value !== threshold;
  }
}

/** Threshold used when a resource rule gives none. */
export const DEFAULT_THRESHOLDS = {
  cpu: 90,
  memory: 90,
  disk: 90,
  link_latency: 1000,
  failure_rate: 0.5,
  consecutive_failures: 3,
} as const;

/** How far ahead expiry rules warn when neither window nor threshold is given: 7 days. */
export const DEFAULT_EXPIRY_AHEAD_SECONDS = 7 * 86_400;
/** Failure-rate window when the rule gives none: 1 hour. Dead-man window: the RPO, else 1 day. */
export const DEFAULT_RATE_WINDOW_SECONDS = 3600;
export const DEFAULT_DEAD_MAN_SECONDS = 86_400;
