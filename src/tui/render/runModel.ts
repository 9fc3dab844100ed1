// How a drill or failover run reads in the cockpit: step marks, the RTO timer.
import type { ObjectiveView, RtoForecastView, RunView, StepProgressView, StepState, StepView } from '../../protocol/operator.js';
import { formatDuration } from '../components/format.js';
import type { Tone } from '../theme.js';

export const STEP_MARK: Record<StepState, string> = { pending: '·', running: '▶', succeeded: '✓', failed: '✕', skipped: '–' };
export const STEP_TONE: Record<StepState, Tone | undefined> = { pending: undefined, running: 'accent', succeeded: 'ok', failed: 'bad', skipped: undefined };

/** Seconds the step took, or has taken so far. */
export function stepSeconds(s: StepView, now: number): number | null {
  if (s.durationMs !== null) return s.durationMs / 1000;
  if (s.startedAt && s.state === 'running') return Math.max(0, (now - Date.parse(s.startedAt)) / 1000);
  return null;
}

export interface RtoClock {
  /** seconds since the run started, or the measured RTO once it finished */
  elapsed: number;
  target: number | null;
  /** false once past the target */
  within: boolean | null;
  finished: boolean;
}

export function rtoClock(run: RunView, now: number): RtoClock {
  const finished = run.state !== 'running';
  const elapsed = finished && run.rto.actualSeconds !== null
    ? run.rto.actualSeconds
    : Math.max(0, ((finished && run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt)) / 1000);
  const target = run.rto.targetSeconds;
  const within = finished && run.rto.pass !== null ? run.rto.pass : target === null ? null : elapsed <= target;
  return { elapsed, target, within, finished };
}

export function rtoText(c: RtoClock): string {
  const target = c.target === null ? 'no RTO target' : `target ${formatDuration(c.target)}`;
  const verdict = c.within === null ? '' : c.within ? (c.finished ? ' ✓ met' : ' within') : ' ✕ exceeded';
  return `RTO ${formatDuration(c.elapsed)} / ${target}${verdict}`;
}

export function forecastText(f: RtoForecastView, target: number | null): string {
  const basis = f.basis === 'measured' ? `measured over ${f.samples} restores` : 'assumed rate, no restore measured yet';
  const vs = target === null ? '' : f.seconds <= target ? ` ≤ target ${formatDuration(target)} ✓` : ` > target ${formatDuration(target)} ✕`;
  return `forecast RTO ${formatDuration(f.seconds)}${vs} (${basis})`;
}

export function objectiveText(name: string, o: ObjectiveView): string {
  if (o.actualSeconds === null) return `${name} —`;
  const mark = o.pass === null ? '' : o.pass ? ' ✓' : ' ✕';
  return `${name} ${formatDuration(o.actualSeconds)}${o.targetSeconds !== null ? `/${formatDuration(o.targetSeconds)}` : ''}${mark}`;
}

/** The strictest RTO target of the hosts, as the hub measures the run against it. */
export function strictestRto(hosts: readonly { rtoSeconds: number | null }[]): number | null {
  const ts = hosts.map((h) => h.rtoSeconds).filter((t): t is number => t !== null);
  return ts.length === 0 ? null : Math.min(...ts);
}

/** A running step that moves no bytes: what it does and for how long ("booting… 3s"). */
export function activityText(p: StepProgressView, now: number): string | null {
  if (!p.activity) return null;
  return `${p.activity.text}… ${formatDuration(Math.max(0, (now - Date.parse(p.activity.since)) / 1000))}`;
}

/** The boot time under the RTO: power-on → boot check passed (qemu targets, once measured). */
export function bootText(run: RunView): string | null {
  if (run.bootSeconds === null) return null;
  return `boot ${run.bootSeconds.toFixed(1)} s (power-on → boot check passed${run.instant ? '; instant recovery from the point over NBD' : ''})`;
}
