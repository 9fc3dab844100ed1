// Metric rules measured against the facts: for each host (or certificate) the rule
// applies to, the value, whether the condition holds, and a message. Pure.
import type { MetricAlarmRuleConfig } from '../config/types.js';
import { roundDuration } from '../format/human.js';
import { rpoStatus } from '../recovery/rpo.js';
import { defaultLeadSeconds, rpoForecast } from './forecast.js';
import {
  compare,
  DEFAULT_DEAD_MAN_SECONDS,
  DEFAULT_EXPIRY_AHEAD_SECONDS,
  DEFAULT_RATE_WINDOW_SECONDS,
  DEFAULT_THRESHOLDS,
} from './rules.js';
import { selectsHost } from './selector.js';
import type { Facts, HostFacts } from './types.js';

export interface Measurement {
  host: string | null;
  subject: string | null;
  value: number;
  holds: boolean;
  message: string;
}

const pct = (v: number): string => `${v.toFixed(1)}%`;

function threshold(rule: MetricAlarmRuleConfig, fallback: number): number {
  return rule.threshold ?? fallback;
}

/** Seconds ahead that expiry rules warn: the window, else the threshold, else 7 days. */
function aheadSeconds(rule: MetricAlarmRuleConfig): number {
  return rule.window ?? rule.threshold ?? DEFAULT_EXPIRY_AHEAD_SECONDS;
}

function measureHost(rule: MetricAlarmRuleConfig, h: HostFacts, now: number): Measurement[] {
  const one = (value: number, holds: boolean, message: string, subject: string | null = null): Measurement[] => [
    { host: h.name, subject, value, holds, message },
  ];
  const r = h.resources;
  switch (rule.metric) {
    case 'cpu': {
      if (!r) return [];
      const t = threshold(rule, DEFAULT_THRESHOLDS.cpu);
      return one(r.cpu, compare(rule.op, r.cpu, t), `host ${h.name}: CPU ${pct(r.cpu)} (${rule.op} ${t}%)`);
    }
    case 'memory': {
      if (!r) return [];
      const t = threshold(rule, DEFAULT_THRESHOLDS.memory);
      return one(r.memory, compare(rule.op, r.memory, t), `host ${h.name}: memory ${pct(r.memory)} used (${rule.op} ${t}%)`);
    }
    case 'disk': {
      if (!r) return [];
      const t = threshold(rule, DEFAULT_THRESHOLDS.disk);
      return r.disks.map((d) => ({
        host: h.name,
        subject: d.mount,
        value: d.percent,
        holds: compare(rule.op, d.percent, t),
        message: `host ${h.name}: disk ${d.mount} ${pct(d.percent)} used (${rule.op} ${t}%)`,
      }));
    }
    case 'process': {
      if (!r || !rule.process) return [];
      const n = r.processes.get(rule.process);
      if (n === undefined) return []; // the agent has not been asked to watch it yet
      const holds = rule.threshold === null ? n === 0 : compare(rule.op, n, rule.threshold);
      return one(n, holds, n === 0 ? `host ${h.name}: process ${rule.process} is not running` : `host ${h.name}: ${n} process(es) ${rule.process} running`, rule.process);
    }
    case 'link_latency': {
      if (h.linkLatencyMs === null || !h.connected) return [];
      const t = threshold(rule, DEFAULT_THRESHOLDS.link_latency);
      return one(h.linkLatencyMs, compare(rule.op, h.linkLatencyMs, t), `host ${h.name}: link round trip ${Math.round(h.linkLatencyMs)} ms (${rule.op} ${t} ms)`);
    }
    case 'rpo': {
      if (h.rpoSeconds === null) return [];
      // a new host has its RPO's grace from when it was added; threshold scales the RPO
      const s = rpoStatus({ lastPointAt: h.lastPointAt, rpoSeconds: h.rpoSeconds * (rule.threshold ?? 1), since: h.createdAt }, now);
      const age = s.age ?? 0;
      const what = h.lastPointAt === null ? 'no recovery point yet' : `newest recovery point is ${roundDuration(age)} old`;
      return one(age, s.level === 'breached', `host ${h.name}: ${what}; RPO ${roundDuration(h.rpoSeconds)} (tier ${h.tier})`);
    }
    case 'rpo_forecast': {
      if (h.rpoSeconds === null) return [];
      const f = rpoForecast(now, { ...h, rpoSeconds: h.rpoSeconds });
      const lead = rule.threshold ?? defaultLeadSeconds(h.rpoSeconds);
      const msg =
        f.secondsToBreach <= 0
          ? `host ${h.name}: RPO ${roundDuration(h.rpoSeconds)} already breached`
          : `host ${h.name}: RPO breach forecast in ${roundDuration(f.secondsToBreach)}; a backup must start within ${roundDuration(f.slackSeconds)} (backlog catch-up ${roundDuration(f.catchUpSeconds)})`;
      // a scheduled or queued backup that lands in time is not a reason to page anyone
      const covered = f.coveredByNextRun && f.secondsToBreach > 0;
      return one(f.slackSeconds, !covered && f.slackSeconds < lead, covered ? `${msg}; the next backup commits in time (${roundDuration((f.nextRunCommitsAt! - now) / 1000)} from now)` : msg);
    }
    case 'failure_rate': {
      const since = now - (rule.window ?? DEFAULT_RATE_WINDOW_SECONDS) * 1000;
      const recent = h.tasks.filter((t) => t.finishedAt >= since);
      if (recent.length === 0) return one(0, false, `host ${h.name}: no tasks in the window`);
      const failed = recent.filter((t) => !t.ok).length;
      const rate = failed / recent.length;
      const t = threshold(rule, DEFAULT_THRESHOLDS.failure_rate);
      return one(rate, compare(rule.op, rate, t), `host ${h.name}: ${failed} of ${recent.length} tasks failed in ${roundDuration((now - since) / 1000)} (${Math.round(rate * 100)}%)`);
    }
    case 'consecutive_failures': {
      let n = 0;
      for (let i = h.tasks.length - 1; i >= 0 && !h.tasks[i]!.ok; i--) n++;
      const t = threshold(rule, DEFAULT_THRESHOLDS.consecutive_failures);
      const holds = rule.threshold === null ? n >= t : compare(rule.op, n, t);
      return one(n, holds, `host ${h.name}: ${n} consecutive failed task(s)`);
    }
    case 'dead_man': {
      const window = rule.window ?? rule.threshold ?? h.rpoSeconds ?? DEFAULT_DEAD_MAN_SECONDS;
      const last = h.lastSuccessAt ?? h.createdAt;
      const age = (now - last) / 1000;
      const what = h.lastSuccessAt === null ? 'no successful backup since the host was added' : `last successful backup ${roundDuration(age)} ago`;
      return one(age, age > window, `host ${h.name}: ${what} (expected one every ${roundDuration(window)})`);
    }
    case 'token_expiry': {
      if (h.tokenExpiresAt === null) return [];
      const left = (h.tokenExpiresAt - now) / 1000;
      return one(left, left < aheadSeconds(rule), left <= 0 ? `host ${h.name}: agent token expired` : `host ${h.name}: agent token expires in ${roundDuration(left)}`);
    }
    default:
      return [];
  }
}

/** Every measurement of one metric rule; hosts it does not select, or without data, give none. */
export function measure(rule: MetricAlarmRuleConfig, facts: Facts, now: number): Measurement[] {
  if (rule.metric === 'cert_expiry') {
    if (rule.hosts.length > 0) return [];
    return facts.certificates.map((c) => {
      const left = (c.notAfter - now) / 1000;
      const msg = left <= 0 ? `certificate ${c.name} expired` : `certificate ${c.name} expires in ${roundDuration(left)}`;
      return { host: null, subject: c.name, value: left, holds: left < aheadSeconds(rule), message: msg };
    });
  }
  return facts.hosts.filter((h) => selectsHost(rule.hosts, h)).flatMap((h) => measureHost(rule, h, now));
}
