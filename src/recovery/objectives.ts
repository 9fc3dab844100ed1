// Pure judgements over a run: RTO/RPO actual vs target, failover pre-check gates, the
// automatic verdict and the RTO forecast from measured restore throughput.
import type { GateView, ObjectiveView, RtoForecastView, Verdict } from '../protocol/recovery.js';
import { formatBytes, longDuration } from '../format/human.js';
import { meetsRpo, rpoStatus } from './rpo.js';
import type { RunRecord } from './runbook.js';

export function objective(actualSeconds: number | null, targetSeconds: number | null): ObjectiveView {
  const pass = actualSeconds === null || targetSeconds === null ? null : actualSeconds <= targetSeconds;
  return { actualSeconds, targetSeconds, pass };
}

export interface HostObjectiveInput {
  host: string;
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  /** epoch ms of each volume's point */
  pointTimes: number[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * RTO: run start → the host's last restore/deliver/start/check end (an instant recovery's
 * restores behind the booted host, after its checks, do not count). RPO: run start − its oldest point.
 */
export function hostObjectives(run: RunRecord, h: HostObjectiveInput, final = run.state !== 'running'): { rto: ObjectiveView; rpo: ObjectiveView } {
  const checksAt = run.steps.find((s) => s.host === h.host && s.kind === 'checks')?.index ?? Infinity;
  const mine = run.steps.filter((s) => s.host === h.host && s.index <= checksAt);
  const ends = mine
    .filter((s) => ['restore', 'deliver', 'start', 'checks'].includes(s.kind) && s.state === 'succeeded' && s.finishedAt !== null)
    .map((s) => s.finishedAt!);
  const all = mine.filter((s) => ['restore', 'start', 'checks'].includes(s.kind));
  // a host with no boot sector is not powered on: its start step is skipped, not failed
  const done = (s: (typeof all)[number]) => s.state === 'succeeded' || (s.kind === 'start' && s.state === 'skipped');
  const recovered = all.length > 0 && all.every(done) && ends.length ? Math.max(...ends) : null;
  const oldest = h.pointTimes.length ? Math.min(...h.pointTimes) : null;
  const rto = objective(recovered === null ? null : seconds(recovered - run.startedAt), h.rtoSeconds);
  // a finished run whose host never came back missed its RTO
  if (final && recovered === null && h.rtoSeconds !== null) rto.pass = false;
  return {
    rto,
    rpo: objective(oldest === null ? null : seconds(Math.max(0, run.startedAt - oldest)), h.rpoSeconds),
  };
}

/** The run's figures: the slowest host and oldest point, against the strictest target; pass only if every host passes. */
export function runObjective(per: ObjectiveView[]): ObjectiveView {
  const actuals = per.map((o) => o.actualSeconds);
  const targets = per.map((o) => o.targetSeconds).filter((t): t is number => t !== null);
  const actual = actuals.length && actuals.every((a) => a !== null) ? Math.max(...(actuals as number[])) : null;
  const judged = per.filter((o) => o.pass !== null);
  const pass = actual === null && targets.length ? false : judged.length ? judged.every((o) => o.pass) : null;
  return { actualSeconds: actual, targetSeconds: targets.length ? Math.min(...targets) : null, pass };
}

/** fail when a step failed, a check failed, or an objective was missed */
export function autoVerdict(run: RunRecord, objectives: ObjectiveView[]): Verdict {
  const stepFailed = run.steps.some((s) => s.state === 'failed');
  const checkFailed = run.steps.some((s) => (s.result.checks ?? []).some((c) => c.status === 'fail'));
  return stepFailed || checkFailed || objectives.some((o) => o.pass === false) ? 'fail' : 'pass';
}

export interface GateInput {
  now: number;
  rpoSeconds: number | null;
  /** epoch ms of the oldest chosen point; null when a volume has none */
  pointTime: number | null;
  missingVolumes: string[];
  allVerified: boolean;
  freeBytes: number | null;
  neededBytes: number;
  targetDir: string;
  link: 'connected' | 'disconnected' | 'never';
  failedOver: boolean;
  /** false: the operator asked to skip the final sync (--no-final-sync) */
  finalSync?: boolean;
}


/** The failover's pre-check gates, in the order they are shown. */
export function failoverGates(i: GateInput): GateView[] {
  const gates: GateView[] = [];
  gates.push(
    i.pointTime === null || i.missingVolumes.length
      ? { name: 'point', ok: false, blocking: true, detail: `no recovery point for ${i.missingVolumes.join(', ') || 'the host'}` }
      : { name: 'point', ok: true, blocking: true, detail: `point of ${new Date(i.pointTime).toISOString()}` },
  );
  if (i.pointTime !== null) {
    const rpo = rpoStatus({ lastPointAt: i.pointTime, rpoSeconds: i.rpoSeconds }, i.now);
    const age = rpo.age ?? 0;
    gates.push(
      i.rpoSeconds === null
        ? { name: 'rpo', ok: true, blocking: false, detail: `point is ${longDuration(age)} old; the host has no tier RPO` }
        : { name: 'rpo', ok: meetsRpo(rpo), blocking: false, detail: `point is ${longDuration(age)} old; RPO ${longDuration(i.rpoSeconds)}${meetsRpo(rpo) ? '' : ' (exceeded: data since then is lost)'}` },
    );
  }
  gates.push({
    name: 'verified',
    ok: i.allVerified,
    blocking: false,
    detail: i.allVerified ? 'point verified' : 'point not verified yet; the restore still checks every chunk and the Merkle root',
  });
  gates.push(
    i.freeBytes === null
      ? { name: 'target', ok: false, blocking: true, detail: `target ${i.targetDir} cannot be inspected` }
      : {
          name: 'target',
          ok: i.freeBytes >= i.neededBytes,
          blocking: true,
          detail: `${formatBytes(i.freeBytes)} free in ${i.targetDir}, ${formatBytes(i.neededBytes)} needed`,
        },
  );
  const syncs = i.finalSync !== false;
  gates.push({
    name: 'link',
    ok: i.link !== 'connected' || syncs,
    blocking: false,
    detail: i.link === 'connected' ? `source agent still connected: ${syncs ? 'a final sync, then ' : ''}fencing tells it to stop replicating` : `source agent ${i.link}`,
  });
  gates.push(
    !syncs
      ? { name: 'final-sync', ok: true, blocking: false, detail: 'final sync possible: skipped (--no-final-sync); data since the point is left behind' }
      : i.link === 'connected'
        ? { name: 'final-sync', ok: true, blocking: false, detail: 'final sync possible: yes (one last incremental with the source quiesced, then the fence; RPO 0)' }
        : { name: 'final-sync', ok: false, blocking: false, detail: `final sync possible: no (source agent ${i.link}); data since the point is lost` },
  );
  if (i.failedOver) gates.push({ name: 'fenced', ok: false, blocking: false, detail: 'host is already failed over (a retry)' });
  return gates;
}

export function gatesReady(gates: GateView[]): boolean {
  return gates.every((g) => g.ok || !g.blocking);
}

/** Without a measurement yet, assume this restore rate (bytes/s). */
export const ASSUMED_RESTORE_RATE = 100 * 1024 * 1024;

export function forecastRto(bytes: number, samples: { bytes: number; ms: number }[]): RtoForecastView {
  const good = samples.filter((s) => s.bytes > 0 && s.ms > 0);
  const totalMs = good.reduce((a, s) => a + s.ms, 0);
  const rate = good.length ? (good.reduce((a, s) => a + s.bytes, 0) * 1000) / totalMs : ASSUMED_RESTORE_RATE;
  return { seconds: Math.ceil(bytes / rate), bytes, bytesPerSec: Math.round(rate), basis: good.length ? 'measured' : 'assumed', samples: good.length };
}

/** A run as the RTO forecast sees it: groups in boot order, each host's bytes, the pause after each group. */
export interface RtoPlanShape {
  groups: { hosts: { name: string; bytes: number }[]; waitSeconds: number }[];
}

/**
 * The RTO of a run step by step, as the runbook executes it: each host's restore at the
 * measured rate, then its checks as long as they took in its past runs, group after group,
 * with the plan's pause between groups (not after the last). The steps are the critical path.
 */
export function forecastRunRto(shape: RtoPlanShape, samples: { bytes: number; ms: number }[], checkSecondsOf: (host: string) => number): RtoForecastView {
  const bytes = shape.groups.flatMap((g) => g.hosts).reduce((a, h) => a + h.bytes, 0);
  const base = forecastRto(bytes, samples);
  const path: { step: string; seconds: number }[] = [];
  let restore = 0;
  let checks = 0;
  let waits = 0;
  shape.groups.forEach((g, i) => {
    for (const h of g.hosts) {
      const r = h.bytes / base.bytesPerSec;
      const c = checkSecondsOf(h.name);
      restore += r;
      checks += c;
      path.push({ step: `restore ${h.name}`, seconds: Math.ceil(r) });
      if (c > 0) path.push({ step: `checks of ${h.name}`, seconds: Math.ceil(c) });
    }
    if (g.waitSeconds > 0 && i < shape.groups.length - 1) {
      waits += g.waitSeconds;
      path.push({ step: `wait after group ${i + 1}`, seconds: g.waitSeconds });
    }
  });
  return { ...base, seconds: Math.ceil(restore + checks + waits), restoreSeconds: Math.ceil(restore), checkSeconds: Math.ceil(checks), waitSeconds: waits, criticalPath: path };
}
