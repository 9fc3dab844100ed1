// Tells the hub whose changed-block bitmaps are on screen. Unasked, it sends every host's
// bitmap every second — megabytes per second with hundreds of hosts, almost all of it for
// heatmaps nobody is looking at; asked, it sends the others' counts only, when they change,
// and leaves their bitmaps out of snapshots and host views.
import { useEffect } from 'react';
import type { CockpitClient, ConnectionState } from '../client.js';

export function useBitmapWatch(client: CockpitClient, hosts: readonly string[], connection: ConnectionState): void {
  const key = hosts.join('\n');
  useEffect(() => {
    // also while still connecting: a call that cannot go out fails and is made again on
    // 'connected'; one that can, goes before the subscription asks for the snapshot
    if (connection === 'lost') return;
    client.call('bitmaps.watch', { hosts: key === '' ? [] : key.split('\n') }).catch(() => {
      // not connected yet, or a hub without bitmaps.watch: it sends every bitmap; more to read, the same screen
    });
  }, [client, key, connection]);
}
