// Drills and failovers on the hub: previews and pre-checks, gated starts, the executor that
// drives runs (and resumes them after a restart), drill artefact TTLs, reports. Every
// operator action is audited with who (user, SSH client), what and the outcome.
import type {
  DrillArtefactView,
  InstanceView,
  DrillPreview,
  FailoverPrecheck,
  RecoveryReport,
  ReportSummary,
  RunKind,
  RunTargetView,
  RunView,
  StepProgressView,
  Verdict,
} from '../protocol/recovery.js';
import { RecoveryError } from './errors.js';
import { RunExecutor } from './executor.js';
import { RecoveredInstances } from './instances.js';
import { firmwareFile, requireQemu } from './qemu/vm.js';
import type { Operator, RecoveryHost, RecoveryOptions } from './host.js';
import { autoVerdict, forecastRunRto, gatesReady } from './objectives.js';
import { drillSteps, failoverSteps, type RunRecord } from './runbook.js';
import type { RunStore, StoredRun } from './run-store.js';
import { resolveScope, type ResolvedScope, type ScopeRequest } from './scope.js';
import { gatesNow, stepRunner } from './steps.js';
import { TargetError, allocatedBytes, drillTarget, failoverTarget, imagePath, removeDrillDir } from './targets.js';
import { recoveryReport, reportSummary, runAudit, runView, wayBackOf } from './views.js';
import { WayBack } from './way-back.js';

const CLEANUP_EVERY_MS = 60_000;
const REAP_EVERY_MS = 5_000;

export interface DrillRequest extends ScopeRequest {
  target?: string;
  ttlSeconds?: number;
  verdict?: Verdict;
  notes?: string;
  instant?: boolean;
}

export interface FailoverRequest {
  host: string;
  point?: string;
  target?: string;
  confirm?: string;
  /** skip the final sync even when the source agent is connected */
  noFinalSync?: boolean;
  instant?: boolean;
}

export class RecoveryService {
  readonly runs: RunStore;
  readonly instances: RecoveredInstances;
  private readonly executor: RunExecutor;
  private readonly progress = new Map<string, StepProgressView>();
  private readonly lastPush = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  /** looks for recovered VMs that went down on their own */
  private reaper: NodeJS.Timeout | null = null;
  private expiryTimers = new Set<NodeJS.Timeout>();
  /** failback and failover cancel */
  readonly wayBack: WayBack;

  constructor(
    private readonly host: RecoveryHost,
    private readonly opts: RecoveryOptions,
  ) {
    this.runs = host.runs;
    this.instances = new RecoveredInstances(host.catalog.repos.instances, host.store, host.clock, host.dataDir);
    // a recovered host whose VM went down on its own: a failover's is production down
    this.instances.onLost = (r) =>
      this.host.event(r.kind === 'failover' ? 'critical' : 'warning', 'instance.lost', r.host, `instance ${r.id} of ${r.host} (${r.kind}${r.runId === null ? '' : ` run ${r.runId}`}) is gone: its qemu process (pid ${r.pid}) ended without being stopped; its ports are free again`);
    const vm = {
      instances: this.instances,
      // read at each run: a config reload replaces the checks
      get checks() {
        return opts.checks;
      },
      tags: (h: string) => host.catalog.hostByName(h)?.tags ?? [],
      onDamage: (runId: number, d: { volume: string; block: number; message: string }) =>
        host.event('critical', 'instant.damaged', null, `run ${runId}: volume ${d.volume} block ${d.block} failed its hash check under an NBD export; the guest got EIO (${d.message})`),
    };
    const runner = stepRunner({ host, opts, runs: this.runs, onProgress: (id, i, p) => this.onProgress(id, i, p), vm });
    this.executor = new RunExecutor(this.runs, host.clock, runner, (r) => this.onChange(r), (id, e) => host.log('warning', `recovery run ${id}: ${e.message}`));
    this.wayBack = new WayBack({
      host, opts, runs: this.runs, instances: this.instances,
      start: (id) => (void this.executor.start(id), this.view(id)),
      isRunning: (name, kinds) => this.runs.running().some((s) => kinds.includes(s.record.kind) && s.meta.hosts.some((h) => h.host === name)),
      audit: (who, action, target, outcome, details) => this.audit(who, action, target, outcome, details),
    });
  }

  /**
   * A config reload: targets, checks, plans, the drill TTL and the switch hook for runs
   * started from now on (and for the steps still ahead of running ones).
   */
  reconfigure(next: RecoveryOptions): void {
    Object.assign(this.opts, next);
  }

  /** Resume runs a stopped or killed hub left unfinished; start the drill TTL sweeper. */
  start(): void {
    void this.instances.reattach().then(({ kept, lost }) => {
      if (kept.length) this.host.event('info', 'instance.found', null, `found ${kept.length} recovered instance(s) still running: ${kept.map((r) => `${r.id} (${r.host}, pid ${r.pid})`).join(', ')}`);
      for (const r of lost) this.host.event('warning', 'instance.lost', r.host, `instance ${r.id} of ${r.host} is gone (its process ended while the hub was down)`);
    });
    const resumed = this.executor.resumeAll();
    for (const id of resumed) this.host.event('warning', 'recovery.resumed', null, `recovery run ${id} resumed after a hub restart`);
    this.sweep();
    this.timer = setInterval(() => this.sweep(), CLEANUP_EVERY_MS);
    this.timer.unref();
    this.reaper = setInterval(() => this.instances.reap(), REAP_EVERY_MS);
    this.reaper.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.reaper) clearInterval(this.reaper);
    for (const t of this.expiryTimers) clearTimeout(t);
    await this.executor.stop();
    await this.instances.stopForShutdown();
  }

  // ---- views ----------------------------------------------------------------------------
  private stored(id: number): StoredRun {
    const s = this.runs.get(id);
    if (!s) throw new RecoveryError('not-found', `no drill or failover run ${id}`);
    return s;
  }

  private instancesOf(runId: number): InstanceView[] {
    return this.instances.ofRun(runId).map((r) => this.instances.view(r));
  }

  view(id: number): RunView {
    return runView(this.stored(id), (r, i) => this.progress.get(`${r}:${i}`) ?? null, this.instancesOf(id));
  }

  list(kind?: RunKind): RunView[] {
    return this.runs.list(kind).map((s) => runView(s, (r, i) => this.progress.get(`${r}:${i}`) ?? null, this.instancesOf(s.record.id)));
  }

  reports(): ReportSummary[] {
    return this.runs.list().map((s) => reportSummary(runView(s)));
  }

  report(id: number, who: Operator): RecoveryReport {
    const v = this.view(id);
    this.audit(who, 'report.get', String(id), 'ok');
    const trail = this.host.catalog.repos.auditLog.ofRun({ run: id, kind: v.kind, hosts: v.hosts.map((h) => h.host), startedAt: v.startedAt });
    return recoveryReport(v, this.host.hubName, this.host.clock.now(), wayBackOf(this.stored(id).record), runAudit(trail));
  }

  /** Stop an instance (failover instances need their host name typed). */
  async stopInstance(id: number, confirm: string | undefined, who: Operator): Promise<InstanceView> {
    try {
      const v = await this.instances.stop(id, confirm);
      this.audit(who, 'instance.stop', String(id), 'stopped', { host: v.host, kind: v.kind });
      this.host.event(v.kind === 'failover' ? 'warning' : 'info', 'instance.stopped', v.host, `instance ${id} of ${v.host} (${v.kind}) stopped by ${who.user}`);
      return v;
    } catch (e) {
      this.audit(who, 'instance.stop', String(id), `refused: ${(e as Error).message}`);
      throw e;
    }
  }

  private onProgress(runId: number, index: number, p: StepProgressView): void {
    const before = this.progress.get(`${runId}:${index}`);
    this.progress.set(`${runId}:${index}`, p);
    const now = this.host.clock.now();
    // byte counts are pushed twice a second at most; a new activity ("booting") at once
    const fresh = p.activity !== undefined && p.activity.text !== before?.activity?.text;
    if (!fresh && now - (this.lastPush.get(runId) ?? 0) < 500) return;
    this.lastPush.set(runId, now);
    this.host.broadcastRun(this.view(runId));
  }

  private onChange(r: RunRecord): void {
    for (const s of r.steps) if (s.state !== 'running') this.progress.delete(`${r.id}:${s.index}`);
    else this.opts.onStepStarted?.(r.kind, s.kind);
    if (r.state !== 'running') this.finished(r);
    this.host.broadcastRun(this.view(r.id));
  }

  private finished(r: RunRecord): void {
    this.lastPush.delete(r.id);
    const s = this.stored(r.id);
    const v = runView(s);
    if (s.meta.verdict === null) this.runs.setVerdict(r.id, autoVerdict(r, [v.rto, v.rpo]), 'checks', null);
    const hosts = s.meta.hosts.map((h) => h.host).join(', ');
    const verdict = this.runs.get(r.id)!.meta.verdict;
    const what = `${r.kind} run ${r.id} of ${hosts} ${r.state}; RTO ${v.rto.actualSeconds ?? '-'} s, RPO ${v.rpo.actualSeconds ?? '-'} s, verdict ${verdict}`;
    const data = { verdict, hosts: s.meta.hosts.map((h) => h.host) };
    this.host.event(r.state === 'completed' && verdict === 'pass' ? 'info' : 'critical', `${r.kind}.${r.state}`, s.meta.hosts[0]?.host ?? null, r.error ? `${what}: ${r.error}` : what, data);
    const expires = this.runs.get(r.id)!.meta.expiresAt;
    if (expires) this.sweepAt(Date.parse(expires));
  }

  /** sweep again right after a drill's TTL ends (the periodic sweep covers very long TTLs and restarts) */
  private sweepAt(at: number): void {
    const delay = at - this.host.clock.now() + 200;
    if (delay > CLEANUP_EVERY_MS) return;
    const t = setTimeout(() => {
      this.expiryTimers.delete(t);
      this.sweep();
    }, Math.max(0, delay));
    t.unref();
    this.expiryTimers.add(t);
  }

  private audit(who: Operator, action: string, target: string | null, outcome: string, details: object = {}): void {
    this.host.audit(who.actor, action, target, outcome, { ...details, user: who.user, ssh: who.ssh });
  }

  private forecast(scope: ResolvedScope) {
    const bytesOf = new Map(scope.hosts.map((h) => [h.host, h.points.reduce((a, p) => a + p.size, 0)]));
    const checks = this.runs.checkSeconds();
    const shape = { groups: scope.groups.map((g) => ({ hosts: g.hosts.map((h) => ({ name: h.name, bytes: bytesOf.get(h.name) ?? 0 })), waitSeconds: g.waitSeconds })) };
    return forecastRunRto(shape, [...this.runs.restoreSamples(), ...this.runs.jobRestoreSamples()], (h) => checks.get(h) ?? 0);
  }

  /** `drc mount`: export a host's volume at a point over NBD on a local socket. */
  async mount(req: { host: string; volume?: string; point?: string }, who: Operator): Promise<InstanceView> {
    const scope = resolveScope(this.host.catalog, { plans: [], checks: [], tiers: this.host.tiers }, { hosts: [req.host], point: req.point ?? 'latest' }, () => '');
    const points = scope.hosts[0]!.points;
    const p = req.volume === undefined ? points[0] : points.find((x) => x.volume === req.volume);
    if (!p) throw new RecoveryError('not-found', `host ${req.host} has no volume ${req.volume ?? ''} with a recovery point (volumes: ${points.map((x) => x.volume).join(', ') || 'none'})`);
    const v = await this.instances.mount(req.host, p.volume, p.pointId);
    this.audit(who, 'mount.start', req.host, 'exported', { volume: p.volume, point: p.pointId, socket: v.nbd });
    return v;
  }

  async unmount(req: { id?: number; host?: string }, who: Operator): Promise<InstanceView[]> {
    const v = await this.instances.unmount(req);
    this.audit(who, 'mount.stop', req.host ?? (req.id === undefined ? null : String(req.id)), 'stopped', { ids: v.map((x) => x.id) });
    return v;
  }

  // ---- drills ---------------------------------------------------------------------------
  private drillScope(req: DrillRequest, runId: number | string) {
    const target = this.targetOr(() => drillTarget(this.opts.targets, this.host.dataDir, runId, req.target), req.instant);
    const scope = resolveScope(this.host.catalog, { plans: this.opts.plans, checks: this.opts.checks, tiers: this.host.tiers }, req, (h, v) => imagePath(target, h, v));
    return { target, scope };
  }

  private targetOr<T extends RunTargetView>(f: () => T, instant?: boolean): T {
    try {
      const t = f();
      if (t.type === 'qemu' && t.vm) {
        requireQemu(t.vm.binary);
        firmwareFile(t.vm.firmware);
      }
      if (instant && t.type !== 'qemu') throw new TargetError(`--instant boots the point on a qemu target; target ${t.name ?? '(default directory)'} is a ${t.type} target`);
      return t;
    } catch (e) {
      if (e instanceof TargetError) throw new RecoveryError('bad-request', e.message);
      throw e;
    }
  }

  previewDrill(req: DrillRequest): DrillPreview {
    const { target, scope } = this.drillScope(req, 'NEW');
    return {
      hosts: scope.hosts.map((h) => ({ host: h.host, tier: h.tier, rtoSeconds: h.rtoSeconds, rpoSeconds: h.rpoSeconds, points: h.points, checks: ['digest', ...h.checks] })),
      target,
      forecast: this.forecast(scope),
      ttlSeconds: req.ttlSeconds ?? this.opts.drillTtlSeconds,
      notes: scope.notes,
    };
  }

  startDrill(req: DrillRequest, who: Operator): RunView {
    const what = req.plan ? `plan ${req.plan}` : (req.hosts ?? []).join(',');
    let stored: StoredRun;
    let notes: string[] = [];
    try {
      notes = this.drillScope(req, 'NEW').scope.notes; // validate before a run id is spent
      stored = this.runs.create('drill', this.host.clock.now(), (id) => {
        const { target, scope } = this.drillScope(req, id);
        const specs = drillSteps({ groups: scope.groups, deliver: target.type === 'command', vm: target.type === 'qemu', instant: req.instant === true });
        const params = { ttlSeconds: req.ttlSeconds, verdict: req.verdict, notes: req.notes, ...(req.instant ? { instant: true } : {}), ...(scope.notes.length ? { pointNotes: scope.notes } : {}) };
        return { specs, meta: { plan: scope.plan, pointSpec: scope.pointSpec, hosts: scope.hosts, target, gates: [], forecast: this.forecast(scope), params, operator: { user: who.user, ssh: who.ssh } } };
      });
    } catch (e) {
      this.audit(who, 'drill.start', what, `refused: ${(e as Error).message}`);
      throw e;
    }
    const id = stored.record.id;
    this.audit(who, 'drill.start', what, 'started', { run: id, point: req.point ?? null });
    this.host.event('info', 'drill.started', stored.meta.hosts[0]?.host ?? null, `drill run ${id} of ${stored.meta.hosts.map((h) => h.host).join(', ')} started by ${who.user}${notes.length ? `; ${notes.join('; ')}` : ''}`);
    void this.executor.start(id);
    return this.view(id);
  }

  setVerdict(id: number, verdict: Verdict, notes: string | undefined, who: Operator): RunView {
    const s = this.stored(id);
    if (s.record.kind !== 'drill') throw new RecoveryError('bad-request', `run ${id} is a ${s.record.kind}; verdicts are for drills`);
    this.runs.setVerdict(id, verdict, 'operator', notes ?? null);
    this.audit(who, 'drill.verdict', String(id), verdict, { notes: notes ?? null });
    const v = this.view(id);
    this.host.broadcastRun(v);
    return v;
  }

  drills(all = false): DrillArtefactView[] {
    return this.runs
      .list('drill')
      .filter((s) => all || s.meta.cleanedAt === null)
      .map((s) => ({
        runId: s.record.id,
        hosts: s.meta.hosts.map((h) => h.host),
        dir: s.meta.target.dir,
        bytes: s.meta.cleanedAt ? 0 : allocatedBytes(s.meta.target.dir),
        createdAt: new Date(s.record.startedAt).toISOString(),
        expiresAt: s.meta.cleanedAt ? null : s.meta.expiresAt,
        cleanedAt: s.meta.cleanedAt,
      }));
  }

  /** Remove drill artefacts (and stop their instances): one run's, every finished drill's, or only those past their TTL. */
  async cleanup(o: { id?: number; expiredOnly?: boolean }, who: Operator | null): Promise<DrillArtefactView[]> {
    const now = this.host.clock.now();
    const candidates = o.id !== undefined ? [this.stored(o.id)] : this.runs.list('drill');
    if (o.id !== undefined && candidates[0]!.record.kind !== 'drill') throw new RecoveryError('bad-request', `run ${o.id} is a failover; only drill artefacts are cleaned up`);
    const removed: DrillArtefactView[] = [];
    for (const s of candidates) {
      if (s.meta.cleanedAt !== null || s.record.state === 'running' || this.executor.isActive(s.record.id)) continue;
      if (o.expiredOnly && (s.meta.expiresAt === null || Date.parse(s.meta.expiresAt) > now)) continue;
      await this.instances.stopRun(s.record.id);
      const bytes = allocatedBytes(s.meta.target.dir);
      removeDrillDir(s.meta.target.dir, s.record.id);
      const at = new Date(now).toISOString();
      this.runs.setCleaned(s.record.id, at);
      removed.push({ runId: s.record.id, hosts: s.meta.hosts.map((h) => h.host), dir: s.meta.target.dir, bytes, createdAt: new Date(s.record.startedAt).toISOString(), expiresAt: null, cleanedAt: at });
      this.host.broadcastRun(this.view(s.record.id));
    }
    if (who) this.audit(who, 'drill.cleanup', o.id === undefined ? null : String(o.id), 'ok', { removed: removed.map((r) => r.runId) });
    return removed;
  }

  private sweep(): void {
    this.instances.reap();
    this.cleanup({ expiredOnly: true }, null)
      .then((removed) => {
        if (removed.length) this.host.event('info', 'drill.cleaned', null, `removed the artefacts (and instances) of expired drill(s) ${removed.map((r) => r.runId).join(', ')}`);
      })
      .catch((e: Error) => this.host.log('warning', `drill cleanup: ${e.message}`));
  }

  // ---- failover -------------------------------------------------------------------------
  private failoverScope(req: FailoverRequest) {
    const target = this.targetOr(() => failoverTarget(this.opts.targets, this.host.dataDir, req.host, req.target), req.instant);
    const scope = resolveScope(this.host.catalog, { plans: [], checks: this.opts.checks, tiers: this.host.tiers }, { hosts: [req.host], point: req.point }, (h, v) => imagePath(target, h, v));
    return { target, scope };
  }

  precheckFailover(req: FailoverRequest, who: Operator): FailoverPrecheck {
    const row = this.host.catalog.hostByName(req.host);
    if (!row) throw new RecoveryError('not-found', `no host named ${req.host}`);
    const { target, scope } = this.failoverScope(req);
    const h = scope.hosts[0]!;
    const gates = gatesNow({ host: this.host, opts: this.opts, runs: this.runs, onProgress: () => undefined }, h, target.dir, row.failedOver, !req.noFinalSync);
    const ready = gatesReady(gates);
    this.audit(who, 'failover.precheck', req.host, ready ? 'ready' : 'blocked', { gates: gates.filter((g) => !g.ok).map((g) => g.name) });
    return {
      host: { host: h.host, tier: h.tier, rtoSeconds: h.rtoSeconds, rpoSeconds: h.rpoSeconds, points: h.points, checks: ['digest', ...h.checks] },
      target, gates, ready, forecast: this.forecast(scope), switchHook: this.opts.switchHook?.type ?? null,
      notes: scope.notes,
    };
  }

  startFailover(req: FailoverRequest, who: Operator): RunView {
    const refuse = (code: RecoveryError['code'], message: string): never => {
      this.audit(who, 'failover.start', req.host, `refused: ${message}`, { confirm: req.confirm ?? null });
      throw new RecoveryError(code, message);
    };
    const row = this.host.catalog.hostByName(req.host);
    if (!row) refuse('not-found', `no host named ${req.host}`);
    if (req.confirm === undefined || req.confirm === '') refuse('confirm-required', `failover of ${req.host} needs the host name typed to confirm: --confirm ${req.host}`);
    if (req.confirm !== req.host) refuse('refused', `confirmation "${req.confirm}" does not match host ${req.host}; nothing was done`);
    if (this.runs.running().some((s) => (s.record.kind === 'failover' || s.record.kind === 'failback') && s.meta.hosts.some((h) => h.host === req.host))) {
      refuse('busy', `a failover or failback of ${req.host} is already running`);
    }
    let plan: ReturnType<RecoveryService['failoverScope']>;
    try {
      plan = this.failoverScope(req);
    } catch (e) {
      return refuse(e instanceof RecoveryError ? e.code : 'refused', (e as Error).message);
    }
    const h = plan.scope.hosts[0]!;
    const gates = gatesNow({ host: this.host, opts: this.opts, runs: this.runs, onProgress: () => undefined }, h, plan.target.dir, row!.failedOver, !req.noFinalSync);
    if (!gatesReady(gates)) refuse('refused', `pre-check failed: ${gates.filter((g) => !g.ok && g.blocking).map((g) => `${g.name}: ${g.detail}`).join('; ')}`);
    const stored = this.runs.create('failover', this.host.clock.now(), () => ({
      specs: failoverSteps(plan.scope.groups[0]!.hosts[0]!, { deliver: plan.target.type === 'command', vm: plan.target.type === 'qemu', instant: req.instant === true }),
      meta: { plan: null, pointSpec: plan.scope.pointSpec, hosts: plan.scope.hosts, target: plan.target, gates, forecast: this.forecast(plan.scope), params: { finalSync: !req.noFinalSync, ...(req.instant ? { instant: true } : {}), ...(plan.scope.notes.length ? { pointNotes: plan.scope.notes } : {}) }, operator: { user: who.user, ssh: who.ssh } },
    }));
    const id = stored.record.id;
    this.audit(who, 'failover.start', req.host, 'started', { run: id, confirm: req.confirm, point: h.points.map((p) => p.pointId) });
    this.host.event('critical', 'failover.started', req.host, `failover run ${id} of ${req.host} started by ${who.user}${who.ssh ? ` (ssh ${who.ssh})` : ''}`);
    void this.executor.start(id);
    return this.view(id);
  }
}
