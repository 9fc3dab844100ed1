// Alarms, metrics, schedules, drills and failovers as the cockpit sees them.
import type {
  AlarmView, DrillPreview, FailoverPrecheck, HostMetricsView, InspectionView, LinkHealthView, RecoveryReport,
  ReportSummary, RunView, ScheduleView, StepView,
} from '../../src/protocol/operator.js';
import { GiB, NOW, ago, job } from './fixtures.js';

export function alarm(id: number, over: Partial<AlarmView> = {}): AlarmView {
  return {
    id, key: `rule|host|${id}`, rule: 'host_disconnected', level: 'critical', state: 'firing', host: 'db-01', subject: null,
    message: 'agent disconnected for 2m', value: null, firedAt: ago(300), lastFiredAt: ago(300), count: 1, flapping: false,
    ackedAt: null, ackedBy: null, ackNote: null, resolvedAt: null, resolvedBy: null, resolveNote: null,
    sla: { ackWithinSeconds: 900, dueAt: new Date(NOW + 600_000).toISOString(), breached: false }, deliveries: [],
    ...over,
  };
}

export function alarms(): AlarmView[] {
  return [
    alarm(1),
    alarm(2, { rule: 'disk_full', level: 'warning', host: 'web-01', subject: '/var', message: 'disk /var 91% full', firedAt: ago(3600), lastFiredAt: ago(3600), sla: { ackWithinSeconds: 1800, dueAt: ago(1800), breached: true } }),
    alarm(3, { rule: 'rpo_breach', level: 'urgent', host: 'files-01', state: 'acknowledged', ackedAt: ago(100), ackedBy: 'operator:root', ackNote: 'on it', sla: { ackWithinSeconds: 300, dueAt: null, breached: false } }),
    alarm(4, { rule: 'sync_failed', level: 'info', host: 'web-02', state: 'resolved', resolvedAt: ago(50), resolvedBy: 'operator:root', resolveNote: 'retried', sla: { ackWithinSeconds: 300, dueAt: null, breached: false } }),
  ];
}

export function metrics(cpu: number, over: Partial<HostMetricsView> = {}): HostMetricsView {
  return {
    time: ago(0), cpu, memoryPercent: 40, memoryUsedBytes: 4 * GiB, memoryTotalBytes: 10 * GiB,
    disks: [{ mount: '/', usedBytes: 7 * GiB, totalBytes: 10 * GiB, percent: 70 }], processes: [],
    netRxBytesPerSec: 0, netTxBytesPerSec: 0, ...over,
  };
}

export const GOOD_LINK: LinkHealthView = { latencyMs: 3, bandwidthBps: null, lastPong: ago(1), state: 'good' };

export function inspection(): InspectionView {
  return {
    time: ago(0), alarmsByLevel: { info: 0, warning: 1, critical: 1, urgent: 1 },
    eventTrend: Array.from({ length: 30 }, (_, i) => ({
      date: new Date(NOW - (29 - i) * 86_400_000).toISOString().slice(0, 10), info: i, warning: 0, critical: i === 29 ? 2 : 0, urgent: 0,
    })),
    failedTasks: [job(104, { host: 'files-01', state: 'failed' })],
    delayedHosts: [{ host: 'db-01', lastPointTime: ago(7200), rpoSeconds: 900 }],
    badLinks: [{ host: 'db-01', link: 'disconnected', latencyMs: null, state: 'down' }],
    expiringCredentials: [{ kind: 'token', name: 'web-02', expiresAt: ago(-3 * 86400), secondsLeft: 3 * 86400 }],
    storage: { bytesStored: 12 * GiB, capacityBytes: 100 * GiB, freeBytes: 60 * GiB, growthBytesPerDay: 2 * GiB, daysUntilFull: 30 },
  };
}

export function schedules(): ScheduleView[] {
  return [
    {
      name: 'nightly-production', next: '2025-03-15T06:00:00.000Z',
      nextRuns: [{ utc: '2025-03-15T06:00:00.000Z', local: '2025-03-15T02:00:00-04:00' }, { utc: '2025-03-16T06:00:00.000Z', local: '2025-03-16T02:00:00-04:00' }],
      cron: '0 2 * * *', timezone: 'America/New_York', priority: 10, targets: ['web-*'], hosts: ['web-01', 'web-02'], type: 'incremental',
      window: null, stopAtWindowEnd: false, retention: 'daily 3, weekly 2',
      lastResult: { state: 'succeeded', firedAt: ago(36000), missed: 0, jobIds: [103], error: null },
      queue: [{ jobId: 102, host: 'db-01', state: 'queued', priority: 10, effectivePriority: 12.5, waitReason: 'host disconnected' }],
    },
    {
      name: 'dev-daily', next: '2025-03-14T22:00:00.000Z', nextRuns: [{ utc: '2025-03-14T22:00:00.000Z', local: '2025-03-14T22:00:00Z' }],
      cron: '0 22 * * 1-5', timezone: 'UTC', priority: 1, targets: ['lab-*'], hosts: ['lab-01'], type: 'incremental',
      window: { text: '22:00-06:00', open: false, opensAt: '2025-03-14T22:00:00.000Z', closesAt: '2025-03-15T06:00:00.000Z', opensInSeconds: 36000 },
      stopAtWindowEnd: true, retention: null, lastResult: { state: 'failed', firedAt: ago(50000), missed: 2, jobIds: [104], error: 'agent timed out' }, queue: [],
    },
  ];
}

const host = { host: 'web-01', tier: 'gold', rtoSeconds: 3600, rpoSeconds: 900, checks: ['digest'] };
const runPoint = { volume: 'root', pointId: 10, time: ago(86400), type: 'full' as const, size: 64 * 1024 * 1024, verified: true, image: '/tmp/drills/1/web-01-root.img' };
const target = { name: null, type: 'directory' as const, format: 'raw' as const, dir: '/tmp/drills', command: null };
/** a drill or failover target that boots what it recovers */
export const qemuTarget = {
  name: 'vm', type: 'qemu' as const, format: 'raw' as const, dir: '/tmp/vms', command: null,
  vm: { accel: 'auto' as const, memoryMiB: 256, cpus: 1, firmware: 'bios' as const, diskBus: 'virtio' as const, network: 'isolated', ports: [], binary: 'qemu-system-x86_64' },
};
const forecast = { seconds: 240, bytes: 64 * 1024 * 1024, bytesPerSec: 280_000, basis: 'measured' as const, samples: 3 };

export function drillPreview(): DrillPreview {
  return { hosts: [{ ...host, points: [runPoint] }], target, forecast, ttlSeconds: 86400 };
}

export function precheck(ready = true): FailoverPrecheck {
  return {
    host: { ...host, points: [runPoint] }, target, forecast, switchHook: 'command', ready,
    gates: [
      { name: 'point', ok: true, blocking: true, detail: 'point 10 of root, 1d old' },
      { name: 'verified', ok: ready, blocking: true, detail: ready ? 'verified 22h ago' : 'point 10 never verified' },
      { name: 'link', ok: false, blocking: false, detail: 'agent still connected: fence it first' },
    ],
  };
}

export function step(index: number, over: Partial<StepView> = {}): StepView {
  return {
    index, kind: 'restore', host: 'web-01', volume: 'root', title: `step ${index}`, state: 'pending', startedAt: null, finishedAt: null,
    durationMs: null, attempts: 1, detail: null, error: null, progress: null, checks: [], ...over,
  };
}

export function run(id: number, over: Partial<RunView> = {}): RunView {
  return {
    id, kind: 'drill', state: 'running', plan: null, pointSpec: '10',
    hosts: [{ host: 'web-01', tier: 'gold', points: [runPoint], rto: { actualSeconds: null, targetSeconds: 3600, pass: null }, rpo: { actualSeconds: 86400, targetSeconds: 900, pass: false } }],
    target, gates: [], forecast, operator: { user: 'root', ssh: null }, startedAt: ago(90), finishedAt: null,
    rto: { actualSeconds: null, targetSeconds: 3600, pass: null }, rpo: { actualSeconds: 86400, targetSeconds: 900, pass: false },
    bootSeconds: null, instant: false, instances: [],
    steps: [
      step(0, { kind: 'prepare', title: 'prepare target', state: 'succeeded', startedAt: ago(90), finishedAt: ago(88), durationMs: 2000 }),
      step(1, { title: 'restore web-01/root', state: 'running', startedAt: ago(88), progress: { doneBytes: 32 * 1024 * 1024, totalBytes: 64 * 1024 * 1024, rate: 1024 * 1024 } }),
      step(2, { kind: 'checks', title: 'checks web-01' }),
    ],
    verdict: null, verdictBy: null, notes: null, issues: [], error: null, expiresAt: null, cleanedAt: null, ...over,
  };
}

/** The full report of a finished drill of web-01. */
export function report(id: number): RecoveryReport {
  return {
    ...run(id, { state: 'completed', verdict: 'pass', verdictBy: 'operator', notes: 'all good', finishedAt: ago(30), rto: { actualSeconds: 200, targetSeconds: 3600, pass: true } }),
    title: `Drill ${id} of web-01`, hub: 'hub-test', generatedAt: ago(10), durationSeconds: 200,
    checks: [{ name: 'digest', type: 'digest', host: 'web-01', volume: 'root', status: 'pass', startedAt: ago(40), finishedAt: ago(35), durationMs: 5000, detail: 'root matches' }],
  };
}

export function reports(): ReportSummary[] {
  return [
    { id: 7, kind: 'drill', hosts: ['web-01'], time: ago(7200), state: 'completed', verdict: 'pass', rto: { actualSeconds: 200, targetSeconds: 3600, pass: true }, rpo: { actualSeconds: 600, targetSeconds: 900, pass: true } },
    { id: 8, kind: 'failover', hosts: ['db-01'], time: ago(3600), state: 'failed', verdict: null, rto: { actualSeconds: null, targetSeconds: 3600, pass: null }, rpo: { actualSeconds: null, targetSeconds: 900, pass: null } },
  ];
}
