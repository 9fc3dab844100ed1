// Which queued jobs start now: a priority queue with aging, global and per-host concurrency
// limits, and daily time windows. Pure: the job runner feeds it rows and the clock.
//
// Aging bound: a job's effective priority is its priority plus one per `agingSeconds` it has
// waited (ties go to the older job). So a job of priority p is ahead of every job of priority
// P > p enqueued (P - p) * agingSeconds or more after it: under any stream of higher-priority
// work it waits at most (P - p) * agingSeconds plus the run time of the jobs that were queued
// before that moment. With the default 60 s, priority 1 under priority 10 is first in line
// after 9 minutes.
import { isOpenAt, minuteOfDay } from './window.js';

export const DEFAULT_AGING_SECONDS = 60;

export interface QueueWindow {
  text: string;
  startMinute: number;
  endMinute: number;
  zone: string;
}

export interface QueueJob {
  id: number;
  host: string;
  priority: number;
  /** ms since the epoch */
  enqueuedAt: number;
  /** the job may only start while this window is open */
  window: QueueWindow | null;
}

export interface QueueLimits {
  global: number;
  perHost: number;
  agingSeconds: number;
}

export interface QueuePlan<J extends QueueJob> {
  /** jobs to start now, in order */
  start: J[];
  /** why each other job waits */
  waiting: Map<number, string>;
}

export function effectivePriority(j: QueueJob, now: number, agingSeconds: number): number {
  const waited = Math.max(0, now - j.enqueuedAt) / 1000;
  return j.priority + (agingSeconds > 0 && Number.isFinite(agingSeconds) ? Math.floor(waited / agingSeconds) : 0);
}

/** Queue order: effective priority, then the older job, then the lower id. */
export function queueOrder<J extends QueueJob>(queued: readonly J[], now: number, agingSeconds: number): J[] {
  const keyed = queued.map((j) => ({ j, p: effectivePriority(j, now, agingSeconds) }));
  keyed.sort((a, b) => b.p - a.p || a.j.enqueuedAt - b.j.enqueuedAt || a.j.id - b.j.id);
  return keyed.map((k) => k.j);
}

/**
 * Decide which queued jobs start. `running` lists the hosts of running jobs; `blocked` adds
 * conditions of the caller (agent not connected) and returns a reason or null. Reasons are
 * stable texts (no countdowns, no queue positions) so that they change only when the cause
 * does: views show "opens in" and queue order from the schedules API.
 */
export function planStarts<J extends QueueJob>(
  queued: readonly J[],
  running: readonly { host: string }[],
  limits: QueueLimits,
  now: number,
  blocked: (j: J) => string | null = () => null,
): QueuePlan<J> {
  const perHost = new Map<string, number>();
  for (const r of running) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
  let slots = limits.global - running.length;
  const start: J[] = [];
  const waiting = new Map<number, string>();
  // many jobs share a few windows: evaluate each once per call
  const windows = new Map<string, string | null>();
  const closed = (w: QueueWindow): string | null => {
    const key = `${w.zone}|${w.startMinute}|${w.endMinute}`;
    let why = windows.get(key);
    if (why === undefined) {
      // no countdown in the text: a reason that changes every minute would re-broadcast every waiting job
      why = isOpenAt(w, minuteOfDay(w.zone, now)) ? null : `waiting: window ${w.text} (${w.zone}) is closed`;
      windows.set(key, why);
    }
    return why;
  };
  for (const j of queueOrder(queued, now, limits.agingSeconds)) {
    const shut = j.window ? closed(j.window) : null;
    if (shut) {
      waiting.set(j.id, shut);
      continue;
    }
    if (slots <= 0) {
      waiting.set(j.id, `waiting: concurrency limit ${limits.global} reached`);
      continue;
    }
    const onHost = perHost.get(j.host) ?? 0;
    if (onHost >= limits.perHost) {
      waiting.set(j.id, limits.perHost === 1 ? `waiting: host ${j.host} is busy with another job` : `waiting: host ${j.host} runs ${onHost} jobs (limit ${limits.perHost})`);
      continue;
    }
    const why = blocked(j);
    if (why) {
      waiting.set(j.id, why);
      continue;
    }
    start.push(j);
    slots--;
    perHost.set(j.host, onHost + 1);
  }
  return { start, waiting };
}
