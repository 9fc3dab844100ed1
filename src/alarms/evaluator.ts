// Rule evaluation: turns facts (periodically) and hub events (as they happen) into
// signals per alarm key, applying each rule's `for:` duration. Pure and synchronous;
// the caller passes the time.
import type { EventAlarmRuleConfig, MetricAlarmRuleConfig } from '../config/types.js';
import { measure } from './conditions.js';
import type { AlarmRule } from './rules.js';
import { selectsHost, type SelectableHost } from './selector.js';
import type { AlarmInputEvent, Facts, Signal } from './types.js';

export function alarmKey(rule: string, host: string | null, subject: string | null): string {
  return [rule, host ?? '', subject ?? ''].join('|');
}

interface PendingEvent {
  since: number;
  signal: Signal;
}

export class AlarmEvaluator {
  /** key → since when the condition holds, not yet for long enough */
  private holding = new Map<string, number>();
  /** event rules with `for:`: fired events waiting to see whether they clear in time */
  private pendingEvents = new Map<string, PendingEvent>();

  constructor(readonly rules: AlarmRule[]) {}

  private metricRules(): MetricAlarmRuleConfig[] {
    return this.rules.filter((r): r is MetricAlarmRuleConfig => r.kind === 'metric');
  }

  private eventRules(): EventAlarmRuleConfig[] {
    return this.rules.filter((r): r is EventAlarmRuleConfig => r.kind === 'event');
  }

  /**
   * Signals for every metric-rule key with data, and for pending events whose `for:` ran
   * out. Keys without data (no sample yet, a stale host) give no signal: their alarms stay.
   */
  evaluate(now: number, facts: Facts): Signal[] {
    const out: Signal[] = [];
    for (const rule of this.metricRules()) {
      for (const m of measure(rule, facts, now)) {
        const key = alarmKey(rule.name, m.host, m.subject);
        const base = { key, rule: rule.name, level: rule.level, host: m.host, subject: m.subject, message: m.message, value: m.value };
        if (!m.holds) {
          this.holding.delete(key);
          out.push({ ...base, active: false });
          continue;
        }
        const since = this.holding.get(key) ?? now;
        this.holding.set(key, since);
        if (now - since >= rule.for * 1000) out.push({ ...base, active: true });
      }
    }
    for (const [key, p] of this.pendingEvents) {
      const rule = this.rules.find((r) => r.name === p.signal.rule);
      if (!rule || now - p.since >= rule.for * 1000) {
        this.pendingEvents.delete(key);
        if (rule) out.push(p.signal);
      }
    }
    return out;
  }

  /** Signals of the event rules this event matches: active at once, or after `for:`. */
  onEvent(now: number, ev: AlarmInputEvent, host: SelectableHost | null): Signal[] {
    const out: Signal[] = [];
    for (const rule of this.eventRules()) {
      if (rule.event !== ev.event || !selectsHost(rule.hosts, host)) continue;
      const subject = ev.subject ?? null;
      const key = alarmKey(rule.name, ev.host, subject);
      if (ev.clears) {
        this.pendingEvents.delete(key);
        out.push({ key, rule: rule.name, level: rule.level, host: ev.host, subject, active: false, message: ev.message, value: null });
        continue;
      }
      if (rule.result !== null && rule.result.toLowerCase() !== ev.result.toLowerCase()) continue;
      const signal: Signal = { key, rule: rule.name, level: rule.level, host: ev.host, subject, active: true, message: ev.message, value: null, occurrence: true };
      if (rule.for > 0) {
        if (!this.pendingEvents.has(key)) this.pendingEvents.set(key, { since: now, signal });
      } else out.push(signal);
    }
    return out;
  }

  /** Names of the processes that rules selecting this host watch (sent to its agent). */
  watchedProcesses(host: SelectableHost): string[] {
    const names = this.metricRules()
      .filter((r) => r.metric === 'process' && r.process !== null && selectsHost(r.hosts, host))
      .map((r) => r.process!);
    return [...new Set(names)];
  }
}
