// Tells the hub whose detail is on screen. Unasked, it sends every host's changed-block
// bitmap every second and every host's metrics every few seconds — megabytes per second
// with hundreds of hosts, almost all of it for views nobody is looking at; asked, it sends
// the others' bitmap counts only, when they change, and no metrics. A newly watched host's
// sparklines are filled from the hub's metric history, so they do not start empty.
import { useEffect } from 'react';
import type { CockpitClient, ConnectionState } from '../client.js';
import { METRIC_SAMPLES, type CockpitStore } from '../store.js';

/** the metrics the host detail draws, as the hub's history names them */
const SPARKLINES = ['cpu', 'memory', 'disk'] as const;
/** how far back to ask: the agents sample every 5 s by default */
const HISTORY_SECONDS = METRIC_SAMPLES * 5;

export function useHostWatch(client: CockpitClient, store: CockpitStore, hosts: readonly string[], connection: ConnectionState): void {
  const key = hosts.join('\n');
  useEffect(() => {
    // also while still connecting: a call that cannot go out fails and is made again on
    // 'connected'; one that can, goes before the subscription asks for the snapshot
    if (connection === 'lost') return undefined;
    let stopped = false;
    const watched = key === '' ? [] : key.split('\n');
    client.call('bitmaps.watch', { hosts: watched }).then(
      () => {
        if (connection !== 'connected') return;
        for (const host of watched) {
          Promise.all(SPARKLINES.map((metric) => client.call('metrics.history', { host, metric, range: HISTORY_SECONDS }))).then(
            ([cpu, memory, disk]) => {
              if (stopped) return;
              const values = (h: typeof cpu): number[] => h.points.map((p) => p.avg);
              store.apply({ type: 'metrics.history', host, cpu: values(cpu), memory: values(memory), disk: values(disk) });
            },
            () => { /* no history (a hub without it, an unknown host): the sparklines fill as samples arrive */ },
          );
        }
      },
      () => {
        // not connected yet, or a hub without bitmaps.watch: it sends every bitmap; more to read, the same screen
      },
    );
    return () => { stopped = true; };
  }, [client, store, key, connection]);
}
