// What the hub does not push: schedules (every 10 s, and soon after a job changes, while
// the schedules view is shown), the daily inspection (every minute on the overview), and
// the report list (on the reports view). Asked only while someone looks.
import { useEffect } from 'react';
import type { CockpitClient, ConnectionState } from '../client.js';
import type { ViewRef } from '../route.js';
import type { CockpitStore, CockpitState, LocalUpdate } from '../store.js';

export const SCHEDULES_POLL_MS = 10_000;
export const INSPECTION_POLL_MS = 60_000;
export const REPORTS_POLL_MS = 30_000;
/** how soon after a job update the schedules are asked again (queues, last results) */
const JOB_REFRESH_MS = 1_000;

interface Poll {
  every: number;
  fetch: (client: CockpitClient) => Promise<LocalUpdate>;
  /** refresh soon when this part of the state changes */
  follows?: (s: CockpitState) => unknown;
}

const POLLS: Partial<Record<ViewRef['kind'], Poll>> = {
  schedules: {
    every: SCHEDULES_POLL_MS,
    fetch: async (c) => ({ type: 'schedules', schedules: await c.call('schedules.list', {}) }),
    follows: (s) => s.jobs,
  },
  overview: { every: INSPECTION_POLL_MS, fetch: async (c) => ({ type: 'inspection', inspection: await c.call('inspection.get', {}) }) },
  reports: { every: REPORTS_POLL_MS, fetch: async (c) => ({ type: 'reports', reports: await c.call('reports.list', {}) }) },
};

export function useViewPolls(client: CockpitClient, store: CockpitStore, kind: ViewRef['kind'], connection: ConnectionState, onError: (message: string) => void): void {
  useEffect(() => {
    const poll = POLLS[kind];
    if (!poll || connection !== 'connected') return;
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let reported = false;
    const run = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
      poll.fetch(client).then(
        (u) => { if (!stopped) store.apply(u); },
        (e: unknown) => {
          // a hub without the method (or a failing one): say so once, keep trying quietly
          if (!stopped && !reported && kind !== 'overview') onError(e instanceof Error ? e.message : String(e));
          reported = true;
        },
      ).finally(() => { if (!stopped && !timer) timer = setTimeout(run, poll.every); });
    };
    run();
    let seen = poll.follows?.(store.getState());
    const off = poll.follows ? store.subscribe(() => {
      const now = poll.follows!(store.getState());
      if (now === seen) return;
      seen = now;
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, JOB_REFRESH_MS);
    }) : () => undefined;
    return () => { stopped = true; off(); if (timer) clearTimeout(timer); };
  }, [client, store, kind, connection, onError]);
}
