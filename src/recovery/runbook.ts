// Runbooks as data: the steps of a drill or a failover, and pure transitions over a run's
// record (start a step, finish it, resume after a crash, complete the run). Times are
// epoch milliseconds handed in by the caller's clock; nothing here reads the time.
import { newRun, type RunRecord, type StepPolicy, type StepRecord, type StepResult, type StepSpec } from '../catalog/run-records.js';
import type { CheckResultView, RunKind, RunState, StepKind, StepState } from '../protocol/recovery.js';

export { newRun };
export type { RunRecord, StepPolicy, StepRecord, StepResult, StepSpec };

export interface StepOutcome {
  state: 'succeeded' | 'failed' | 'skipped';
  detail?: string;
  error?: string;
  result?: StepResult;
  /** problems worth a line in the report */
  issues?: string[];
}

/** An illegal transition: a bug in the executor, never an operator's mistake. */
export class RunbookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunbookError';
  }
}

export interface RunbookHost {
  name: string;
  volumes: string[];
}

export interface DrillShape {
  /** boot order: groups started in turn, with a pause after each */
  groups: { hosts: RunbookHost[]; waitSeconds: number }[];
  /** a command target: images are handed to its hook after restore */
  deliver: boolean;
  /** a qemu target: the host is powered on and its checks reach the instance */
  vm?: boolean;
  /** instant recovery: power on from NBD exports first, restore behind, then attach the local disks */
  instant?: boolean;
}

const step = (kind: StepKind, host: string | null, volume: string | null, title: string, policy: StepPolicy, waitSeconds = 0): StepSpec => ({
  kind, host, volume, title, policy, waitSeconds,
});

/** restore → deliver → (start) → checks, or, instant: start → checks → restore → attach */
function hostSteps(h: RunbookHost, o: { deliver: boolean; vm?: boolean; instant?: boolean }, policy: StepPolicy, prod: boolean): StepSpec[] {
  const restores = h.volumes.map((v) => step('restore', h.name, v, `restore ${h.name}/${v}${prod ? ' to the production target' : ''}`, policy));
  const start = step('start', h.name, null, o.instant ? `power ${h.name} on from the point (instant recovery)` : `power ${h.name} on`, policy);
  // a drill's failed checks still let its other hosts and the verdict run; an instant drill's also stop the restore behind
  const checks = step('checks', h.name, null, prod ? `post-checks of ${h.name}` : `check ${h.name}`, prod ? 'abort' : o.vm && o.instant ? 'skip-host' : 'continue');
  const attach = step('attach', h.name, null, `switch ${h.name} to its restored disks`, policy);
  if (o.vm && o.instant) return [start, checks, ...restores, attach];
  const deliver = o.deliver ? [step('deliver', h.name, null, `hand ${h.name}'s images to the target hook`, policy)] : [];
  return [...restores, ...deliver, ...(o.vm ? [start] : []), checks];
}

/** prepare → per host: restore each volume, deliver, (power on), check → (wait between groups) → complete */
export function drillSteps(shape: DrillShape): StepSpec[] {
  const out: StepSpec[] = [step('prepare', null, null, 'prepare the isolated drill target', 'abort')];
  shape.groups.forEach((g, gi) => {
    for (const h of g.hosts) out.push(...hostSteps(h, shape, 'skip-host', false));
    if (g.waitSeconds > 0 && gi < shape.groups.length - 1) out.push(step('wait', null, null, `wait ${g.waitSeconds} s before the next group`, 'continue', g.waitSeconds));
  });
  out.push(step('complete', null, null, 'measure RTO/RPO and record the verdict', 'continue'));
  return out;
}

/** precheck → final sync → fence → restore each volume → deliver → (power on) → post-checks → switch → complete; any failure but the final sync's stops it */
export function failoverSteps(host: RunbookHost, opts: { deliver: boolean; vm?: boolean; instant?: boolean }): StepSpec[] {
  const out: StepSpec[] = [
    step('precheck', host.name, null, 'pre-check gates', 'abort'),
    step('final-sync', host.name, null, `final sync of ${host.name} while its agent is connected`, 'continue'),
    step('fence', host.name, null, `fence ${host.name}: stop its replication`, 'abort'),
    ...hostSteps(host, opts, 'abort', true),
  ];
  out.push(step('switch', host.name, null, 'DNS/load-balancer switch', 'abort'));
  out.push(step('complete', host.name, null, 'record completion', 'abort'));
  return out;
}


export type NextAction = { type: 'start'; index: number } | { type: 'complete'; state: Exclude<RunState, 'running'> } | { type: 'none' };

/** What the executor does next: start the first pending step, or finish the run. */
export function nextAction(run: RunRecord): NextAction {
  if (run.state !== 'running') return { type: 'none' };
  if (run.steps.some((s) => s.state === 'running')) return { type: 'none' };
  const pending = run.steps.find((s) => s.state === 'pending');
  if (pending) return { type: 'start', index: pending.index };
  const aborted = run.steps.some((s) => s.state === 'failed' && s.policy === 'abort');
  return { type: 'complete', state: aborted ? 'failed' : 'completed' };
}

function withStep(run: RunRecord, index: number, f: (s: StepRecord) => StepRecord): RunRecord {
  return { ...run, steps: run.steps.map((s) => (s.index === index ? f(s) : s)) };
}

function stepAt(run: RunRecord, index: number): StepRecord {
  const s = run.steps[index];
  if (!s) throw new RunbookError(`run ${run.id} has no step ${index}`);
  return s;
}

export function startStep(run: RunRecord, index: number, at: number): RunRecord {
  if (run.state !== 'running') throw new RunbookError(`run ${run.id} is ${run.state}; step ${index} cannot start`);
  const s = stepAt(run, index);
  if (s.state !== 'pending') throw new RunbookError(`step ${index} of run ${run.id} is ${s.state}, not pending`);
  const earlier = run.steps.find((x) => x.index < index && (x.state === 'pending' || x.state === 'running'));
  if (earlier) throw new RunbookError(`step ${index} of run ${run.id} cannot start before step ${earlier.index}`);
  return withStep(run, index, (x) => ({ ...x, state: 'running', startedAt: at, finishedAt: null, attempts: x.attempts + 1, error: null }));
}

/** Record a step's end and apply its failure policy to the steps after it. */
export function finishStep(run: RunRecord, index: number, outcome: StepOutcome, at: number): RunRecord {
  const s = stepAt(run, index);
  if (s.state !== 'running') throw new RunbookError(`step ${index} of run ${run.id} is ${s.state}, not running`);
  let next = withStep(run, index, (x) => ({
    ...x, state: outcome.state, finishedAt: at, detail: outcome.detail ?? x.detail, error: outcome.error ?? null, result: outcome.result ?? x.result,
  }));
  if (outcome.issues?.length) next = { ...next, issues: [...next.issues, ...outcome.issues] };
  if (outcome.state !== 'failed' || s.policy === 'continue') return next;
  const why = `skipped: ${s.title} failed`;
  const skips = (x: StepRecord) => x.index > index && x.state === 'pending' && (s.policy === 'abort' ? x.kind !== 'complete' || run.kind === 'failover' : x.host === s.host);
  next = { ...next, steps: next.steps.map((x) => (skips(x) ? { ...x, state: 'skipped', detail: why } : x)) };
  if (s.policy === 'abort') next = { ...next, error: `${s.title}: ${outcome.error ?? 'failed'}` };
  return next;
}

/** After a hub restart: a step that was running did not finish; it runs again from its start. */
export function resumeRun(run: RunRecord, at: number): RunRecord {
  if (run.state !== 'running') return run;
  const interrupted = run.steps.filter((s) => s.state === 'running');
  if (interrupted.length === 0) return run;
  const when = new Date(at).toISOString();
  return {
    ...run,
    issues: [...run.issues, ...interrupted.map((s) => `${s.title}: interrupted by a hub restart; run again at ${when}`)],
    steps: run.steps.map((s) => (s.state === 'running' ? { ...s, state: 'pending', finishedAt: null } : s)),
  };
}

export function completeRun(run: RunRecord, state: Exclude<RunState, 'running'>, at: number): RunRecord {
  if (run.state !== 'running') throw new RunbookError(`run ${run.id} is already ${run.state}`);
  const open = run.steps.find((s) => s.state === 'pending' || s.state === 'running');
  if (open) throw new RunbookError(`run ${run.id} cannot complete: step ${open.index} is ${open.state}`);
  return { ...run, state, finishedAt: at };
}

/**
 * The moment every host was restored (or booted) and checked: the end of the last
 * restore/deliver/start/checks step up to the last checks step; an instant recovery's
 * restores behind a booted host do not count.
 */
export function recoveredAt(run: RunRecord): number | null {
  const lastCheck = Math.max(-1, ...run.steps.filter((s) => s.kind === 'checks').map((s) => s.index));
  const ends = run.steps
    .filter((s) => ['restore', 'deliver', 'start', 'checks'].includes(s.kind) && s.finishedAt !== null && (lastCheck < 0 || s.index <= lastCheck))
    .map((s) => s.finishedAt!);
  return ends.length ? Math.max(...ends) : null;
}
