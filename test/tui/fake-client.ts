// An in-memory CockpitClient: answers from a snapshot, records every call, and lets a
// test push updates and connection changes.
import type { ConnectionState, CockpitClient } from '../../src/tui/client.js';
import type {
  MaintenanceStatusView, PruneReport,
  AlarmView, AuditEntryView, DrillPreview, FailbackPrecheck, FailoverPrecheck, InspectionView, InstanceView, JobView, MethodName, OperatorMethods, RecoveryReport, ReportSummary, RunView,
  ScheduleView, Snapshot, Update,
} from '../../src/protocol/operator.js';
import { job, snapshot as fixtureSnapshot } from './fixtures.js';

export interface RecordedCall {
  method: MethodName;
  params: unknown;
}

type Handlers = { [M in MethodName]: (p: OperatorMethods[M]['params']) => OperatorMethods[M]['result'] };

/** Handlers that fail like a hub without the data (tests that need them supply their own). */
function noFixture<const M extends MethodName>(methods: M[]): { [K in M]: () => never } {
  const out = {} as { [K in M]: () => never };
  for (const m of methods) {
    out[m] = () => {
      throw new Error(`${m}: no fixture`);
    };
  }
  return out;
}

export class FakeClient implements CockpitClient {
  readonly target = 'unix:/tmp/drc-test/api.sock';
  readonly calls: RecordedCall[] = [];
  /** method → error message: the next calls of it fail */
  readonly failures = new Map<MethodName, string>();
  closed = false;
  /** answers of the read-only methods a test may set; null: fail like a hub without them */
  inspection: InspectionView | null = null;
  schedules: ScheduleView[] = [];
  audit: AuditEntryView[] = [];
  reports: ReportSummary[] = [];
  instances: InstanceView[] = [];
  /** what instances.console answers, by instance id (the text as the guest wrote it) */
  consoles: Record<number, string> = {};
  /** what reports.get answers (any id) */
  report: RecoveryReport | null = null;
  drillPreview: DrillPreview | null = null;
  precheck: FailoverPrecheck | null = null;
  failbackPrecheck: FailbackPrecheck | null = null;
  /** what drill.start / failover.start / drill.verdict answer */
  startedRun: RunView | null = null;
  /** what metrics.history answers, by `host/metric` */
  history: Record<string, number[]> = {};
  /** what maintenance.status and maintenance.preview answer */
  maintenanceStatus: MaintenanceStatusView = { task: null, phase: null, done: 0, total: 0, startedAt: null };
  maintenancePreview: PruneReport = { now: '2025-01-01T03:30:00.000Z', dryRun: true, decisions: [], deleted: [], consolidated: [], unmanagedHosts: [] };
  private nextJob = 500;
  private readonly updates = new Set<(u: Update) => void>();
  private readonly connections = new Set<(s: ConnectionState) => void>();

  constructor(public snapshot: Snapshot = fixtureSnapshot()) {}

  private readonly handlers: Handlers = {
    'hub.status': () => this.snapshot,
    'subscribe': () => {
      queueMicrotask(() => this.emit({ type: 'snapshot', snapshot: this.snapshot }));
      return { ok: true };
    },
    'bitmaps.watch': () => ({ ok: true }),
    'hosts.add': (p) => ({ host: { ...this.snapshot.hosts[0]!, name: p.name }, token: 'tok' }),
    'hosts.list': () => this.snapshot.hosts,
    'hosts.revoke': () => ({ ok: true }),
    'whoami': () => ({ actor: 'uid:1000', role: 'admin', via: 'socket', expiresAt: null }),
    'operators.add': (p) => ({ operator: { name: p.name, role: p.role, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'uid:1000', expiresAt: null, revokedAt: null, lastUsedAt: null }, token: 'tok' }),
    'operators.list': () => [],
    'operators.revoke': () => ({ ok: true }),
    'audit.list': () => this.audit,
    'backup.start': (p) => this.newJob({ host: p.host, type: p.full ? 'full' : 'incremental' }),
    'job.get': (p) => this.findJob(p.id),
    'job.cancel': (p) => ({ ...this.findJob(p.id), state: 'cancelled' }),
    'job.retry': (p) => this.newJob({ host: this.findJob(p.id).host }),
    'jobs.list': () => this.snapshot.jobs,
    'points.list': (p) => this.snapshot.points.filter((x) => x.host === p.host),
    'points.clearSuspect': (p) => ({ ...this.snapshot.points.find((x) => x.id === p.id)!, suspect: false }),
    'restore.start': (p) => this.newJob({ kind: 'restore', host: p.host, volumes: [p.volume], type: null }),
    'alarms.list': () => this.snapshot.alarms ?? [],
    'alarms.ack': (p) => this.findAlarm(p.id),
    'alarms.resolve': (p) => this.findAlarm(p.id),
    'alarms.testChannel': (p) => ({ channel: p.name, transition: 'test', ok: true, attempts: 1, error: null, time: '2025-01-01T00:00:00.000Z' }),
    'metrics.history': (p) => ({
      host: p.host, metric: p.metric, resolutionSeconds: 1,
      points: (this.history[`${p.host}/${p.metric}`] ?? []).map((v, i) => ({ time: new Date(i * 5000).toISOString(), avg: v, max: v })),
    }),
    'inspection.get': () => {
      if (!this.inspection) throw new Error('inspection.get: no fixture');
      return this.inspection;
    },
    'logs.export': () => ({ files: [], errors: [] }),
    'schedules.list': () => this.schedules,
    'schedules.run': (p) => (this.schedules.find((x) => x.name === p.name)?.hosts ?? []).map((h) => this.newJob({ host: h, origin: `schedule:${p.name}` })),
    'retention.prune': (p) => ({ now: '2025-01-01T00:00:00.000Z', dryRun: p.dryRun ?? false, decisions: [], deleted: [], consolidated: [], unmanagedHosts: [] }),
    'store.gc': () => ({ chunksRemoved: 0, chunksPinned: 0, packsRepacked: 0, packsDropped: 0, packsWritten: 0, bytesBefore: 0, bytesAfter: 0, bytesFreed: 0, durationMs: 0 }),
    'store.verify': () => [],
    'verify.results': () => [],
    'maintenance.status': () => this.maintenanceStatus,
    'maintenance.preview': () => this.maintenancePreview,
    'maintenance.run': () => {
      throw new Error('maintenance.run is not faked');
    },
    'store.info': () => ({ type: 'local', location: '/data/store', encrypted: false, cache: null }),
    'copies.list': () => [],
    'copies.run': () => {
      throw new Error('no copies');
    },
    'store.repair': () => ({ chunks: [], healed: 0, stillDamaged: 0 }),
    // drills and failovers (Step 5): no fixtures yet; the cockpit's wizards add them
    'drill.preview': () => this.need(this.drillPreview, 'drill.preview'),
    'drill.start': () => this.need(this.startedRun, 'drill.start'),
    'drill.verdict': (p) => ({ ...this.need(this.startedRun, 'drill.verdict'), verdict: p.verdict, verdictBy: 'operator', notes: p.notes ?? null }),
    'failover.precheck': () => this.need(this.precheck, 'failover.precheck'),
    'failover.start': () => this.need(this.startedRun, 'failover.start'),
    'failback.precheck': () => this.need(this.failbackPrecheck, 'failback.precheck'),
    'failback.start': () => this.need(this.startedRun, 'failback.start'),
    'failover.cancel': (p) => ({ host: p.host, agentTold: true }),
    ...noFixture(['runs.get']),
    'reports.get': () => this.need(this.report, 'reports.get'),
    'drill.list': () => [],
    'drill.cleanup': () => [],
    'instances.list': () => this.instances,
    'instances.stop': (p) => {
      const i = this.instances.find((x) => x.id === p.id)!;
      return { ...i, state: 'stopped' as const };
    },
    'instances.console': (p) => ({ id: p.id, text: this.consoles[p.id] ?? '', offset: (this.consoles[p.id] ?? '').length, state: 'running' as const }),
    ...noFixture(['mount.start', 'mount.stop', 'config.reload', 'inspection.send']),
    'runs.list': () => [],
    'reports.list': () => this.reports,
  };

  private need<T>(value: T | null, method: string): T {
    if (value === null) throw new Error(`${method}: no fixture`);
    return value;
  }

  private findAlarm(id: number): AlarmView {
    const found = this.snapshot.alarms?.find((a) => a.id === id);
    if (!found) throw new Error(`no alarm ${id}`);
    return found;
  }

  call<M extends MethodName>(method: M, params: OperatorMethods[M]['params']): Promise<OperatorMethods[M]['result']> {
    this.calls.push({ method, params });
    const failure = this.failures.get(method);
    if (failure !== undefined) return Promise.reject(new Error(failure));
    const handler: (p: OperatorMethods[M]['params']) => OperatorMethods[M]['result'] = this.handlers[method];
    return Promise.resolve(handler(params));
  }

  callsOf(method: MethodName): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  onUpdate(listener: (u: Update) => void): () => void {
    this.updates.add(listener);
    return () => { this.updates.delete(listener); };
  }

  onConnection(listener: (s: ConnectionState) => void): () => void {
    this.connections.add(listener);
    return () => { this.connections.delete(listener); };
  }

  emit(update: Update): void {
    for (const l of [...this.updates]) l(update);
  }

  setConnection(state: ConnectionState): void {
    for (const l of [...this.connections]) l(state);
  }

  close(): void {
    this.closed = true;
  }

  private findJob(id: number): JobView {
    const found = this.snapshot.jobs.find((j) => j.id === id);
    if (!found) throw new Error(`no job ${id}`);
    return found;
  }

  private newJob(over: Partial<JobView>): JobView {
    return job(this.nextJob++, {
      state: 'queued', startedAt: null, finishedAt: null, origin: 'operator:test', waitReason: 'waiting for a slot', ...over,
    });
  }
}
