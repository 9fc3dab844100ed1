// Coming home after a failover: the failback pre-check, the gated start of a failback run
// (the host name typed, as for a failover; audited whether refused or started), and the
// cancel of a failover that was a mistake (un-fence without failback).
import type { FailbackPrecheck, FailoverCancelView, RunPointView, RunView } from '../protocol/recovery.js';
import { RecoveryError } from './errors.js';
import type { Operator, RecoveryHost, RecoveryOptions } from './host.js';
import { forecastRto, gatesReady } from './objectives.js';
import type { RunStore, StoredRun } from './run-store.js';
import type { RecoveredInstances } from './instances.js';
import { changedDiff } from './way-back-diff.js';
import { liveForecast, trackedInstance } from './way-back-live.js';
import { failbackGates, failbackSteps } from './way-back-steps.js';

export interface WayBackDeps {
  host: RecoveryHost;
  opts: RecoveryOptions;
  runs: RunStore;
  /** drive a created run; the view to answer with */
  start(id: number): RunView;
  isRunning(host: string, kinds: string[]): boolean;
  audit(who: Operator, action: string, target: string | null, outcome: string, details?: object): void;
  /** the hub's recovered instances: a qemu failover's DR-side writes are counted from its overlay */
  instances?: RecoveredInstances;
}

/** The failover whose DR images the host runs from: its latest one whose restores all succeeded. */
function lastFailover(runs: RunStore, host: string): StoredRun | null {
  const mine = runs.list('failover').filter((s) => s.meta.hosts.some((h) => h.host === host));
  for (const s of mine.reverse()) {
    const restores = s.record.steps.filter((x) => x.kind === 'restore' && x.host === host);
    if (restores.length && restores.every((x) => x.state === 'succeeded')) return s;
  }
  return null;
}

function imagesOf(s: StoredRun | null, host: string): RunPointView[] | null {
  return s?.meta.hosts.find((h) => h.host === host)?.points ?? null;
}

export class WayBack {
  constructor(private readonly d: WayBackDeps) {}

  private hostRow(name: string) {
    const row = this.d.host.catalog.hostByName(name);
    if (!row) throw new RecoveryError('not-found', `no host named ${name}`);
    return row;
  }

  async precheck(req: { host: string }, who: Operator): Promise<FailbackPrecheck> {
    this.hostRow(req.host);
    const fo = lastFailover(this.d.runs, req.host);
    const points = imagesOf(fo, req.host);
    const gates = failbackGates(this.d.host, req.host, points, fo?.meta.target.type);
    const volumes: FailbackPrecheck['volumes'] = [];
    const live = fo && fo.meta.target.type === 'qemu' && gatesReady(gates) ? await trackedInstance(this.d.instances, fo.record.id, req.host, (points ?? []).map((p) => p.volume)) : null;
    for (const p of points ?? []) {
      try {
        if (live) {
          const f = await liveForecast(this.d.host, req.host, live, p);
          volumes.push({ volume: p.volume, image: p.image, blockSize: f.blockSize, size: f.size, differingBlocks: f.union, bytes: f.union * f.blockSize });
          continue;
        }
        const x = gatesReady(gates) ? await changedDiff(this.d.host, req.host, p) : null;
        volumes.push({ volume: p.volume, image: p.image, blockSize: x?.blockSize ?? 0, size: x?.size ?? p.size, differingBlocks: x ? x.differing.length : null, bytes: x ? x.differing.length * x.blockSize : null });
      } catch (e) {
        gates.push({ name: 'volume', ok: false, blocking: true, detail: `${p.volume}: ${(e as Error).message}` });
        volumes.push({ volume: p.volume, image: p.image, blockSize: 0, size: p.size, differingBlocks: null, bytes: null });
      }
    }
    const known = volumes.every((v) => v.bytes !== null) && volumes.length > 0;
    const bytes = known ? volumes.reduce((a, v) => a + (v.bytes ?? 0), 0) : null;
    const ready = gatesReady(gates);
    this.d.audit(who, 'failback.precheck', req.host, ready ? 'ready' : 'blocked', { gates: gates.filter((g) => !g.ok).map((g) => g.name) });
    return {
      host: req.host, failoverRun: fo?.record.id ?? null, gates, ready, volumes, bytesToSend: bytes,
      forecastSeconds: bytes === null ? null : forecastRto(bytes, this.d.runs.restoreSamples()).seconds,
      switchHook: this.d.opts.switchHook?.type ?? null,
    };
  }

  private confirmed(action: string, req: { host: string; confirm?: string }, who: Operator): (code: RecoveryError['code'], message: string) => never {
    const refuse = (code: RecoveryError['code'], message: string): never => {
      this.d.audit(who, action, req.host, `refused: ${message}`, { confirm: req.confirm ?? null });
      throw new RecoveryError(code, message);
    };
    if (!this.d.host.catalog.hostByName(req.host)) refuse('not-found', `no host named ${req.host}`);
    const what = action === 'failback.start' ? 'failback' : 'cancelling the failover';
    if (req.confirm === undefined || req.confirm === '') refuse('confirm-required', `${what} of ${req.host} needs the host name typed to confirm: --confirm ${req.host}`);
    if (req.confirm !== req.host) refuse('refused', `confirmation "${req.confirm}" does not match host ${req.host}; nothing was done`);
    if (this.d.isRunning(req.host, ['failover', 'failback'])) refuse('busy', `a failover or failback of ${req.host} is running`);
    return refuse;
  }

  start(req: { host: string; confirm?: string }, who: Operator): RunView {
    const refuse = this.confirmed('failback.start', req, who);
    const fo = lastFailover(this.d.runs, req.host);
    const points = imagesOf(fo, req.host);
    const gates = failbackGates(this.d.host, req.host, points, fo?.meta.target.type);
    if (!gatesReady(gates)) refuse('refused', `pre-check failed: ${gates.filter((g) => !g.ok && g.blocking).map((g) => g.detail).join('; ')}`);
    const scope = fo!.meta.hosts.find((h) => h.host === req.host)!;
    const stored = this.d.runs.create('failback', this.d.host.clock.now(), () => ({
      specs: failbackSteps(req.host, scope.points.map((p) => p.volume)),
      meta: {
        plan: null, pointSpec: `failover ${fo!.record.id}`, hosts: [{ ...scope, checks: [] }], target: fo!.meta.target, gates,
        forecast: forecastRto(0, []), params: { failoverRun: fo!.record.id }, operator: { user: who.user, ssh: who.ssh },
      },
    }));
    const id = stored.record.id;
    this.d.audit(who, 'failback.start', req.host, 'started', { run: id, confirm: req.confirm, failoverRun: fo!.record.id });
    this.d.host.event('critical', 'failback.started', req.host, `failback run ${id} of ${req.host} started by ${who.user}${who.ssh ? ` (ssh ${who.ssh})` : ''}`);
    return this.d.start(id);
  }

  cancel(req: { host: string; confirm?: string }, who: Operator): FailoverCancelView {
    const refuse = this.confirmed('failover.cancel', req, who);
    const row = this.hostRow(req.host);
    if (!row.failedOver) refuse('refused', `${req.host} is not failed over; nothing to cancel`);
    this.d.host.catalog.setHostFailedOver(row.id, false);
    const told = this.d.host.unfence(req.host, `failover of ${req.host} cancelled by ${who.user}`);
    this.d.host.pushHost(req.host);
    this.d.audit(who, 'failover.cancel', req.host, 'ok', { confirm: req.confirm, agentTold: told });
    this.d.host.event('critical', 'failover.cancelled', req.host, `failover of ${req.host} cancelled by ${who.user}: un-fenced without failback; writes made at the DR site stay there`);
    return { host: req.host, agentTold: told };
  }
}
