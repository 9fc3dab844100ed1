// Facts and rules for the alarm unit tests.
import type { EventAlarmRuleConfig, MetricAlarmRuleConfig } from '../../../src/config/types.js';
import type { AlarmRecord, AlarmStore, Facts, HostFacts } from '../../../src/alarms/types.js';

export const T0 = Date.parse('2025-03-01T00:00:00Z');
export const S = 1000;
export const MIN = 60_000;

export function host(over: Partial<HostFacts> = {}): HostFacts {
  return {
    name: 'web-01',
    tags: ['prod'],
    tier: 'gold',
    rpoSeconds: 3600,
    connected: true,
    createdAt: T0 - 86_400_000,
    lastPointAt: T0,
    lastSuccessAt: T0,
    backlogBytes: 0,
    bandwidthBps: null,
    changeRateBps: 0,
    linkLatencyMs: 5,
    tokenExpiresAt: null,
    resources: { time: T0, cpu: 10, memory: 20, disks: [{ mount: '/', percent: 50 }], processes: new Map() },
    tasks: [],
    ...over,
  };
}

export function facts(...hosts: HostFacts[]): Facts {
  return { hosts, certificates: [] };
}

export function withCpu(h: HostFacts, cpu: number, t: number): HostFacts {
  return { ...h, resources: { ...h.resources!, time: t, cpu } };
}

const ruleBase = { for: 0, window: null, hosts: [], result: null, channels: [] };

export function metricRule(over: Partial<MetricAlarmRuleConfig> & Pick<MetricAlarmRuleConfig, 'metric'>): MetricAlarmRuleConfig {
  return { ...ruleBase, name: `${over.metric}-rule`, kind: 'metric', op: '>', threshold: null, process: null, level: 'warning', ...over };
}

export function eventRule(over: Partial<EventAlarmRuleConfig> & Pick<EventAlarmRuleConfig, 'event'>): EventAlarmRuleConfig {
  return { ...ruleBase, name: `${over.event}-rule`, kind: 'event', level: 'critical', ...over };
}

/** An AlarmStore in a map, for the lifecycle tests. */
export class MemoryAlarmStore implements AlarmStore {
  readonly rows = new Map<number, AlarmRecord>();
  private next = 1;
  insert(a: Omit<AlarmRecord, 'id'>): number {
    const id = this.next++;
    this.rows.set(id, { ...a, id });
    return id;
  }
  update(a: AlarmRecord): void {
    this.rows.set(a.id, { ...a });
  }
  open(): AlarmRecord[] {
    return [...this.rows.values()].filter((a) => a.state !== 'resolved');
  }
  get(id: number): AlarmRecord | undefined {
    return this.rows.get(id);
  }
}
