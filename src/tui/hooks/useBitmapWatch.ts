// Tells the hub whose changed-block bitmaps are on screen. Unasked, it sends every host's
// bitmap every second — megabytes per second with hundreds of hosts, almost all of it for
// heatmaps nobody is looking at; asked, it sends the others' counts only, when they change.
import { useEffect } from 'react';
import type { CockpitClient, ConnectionState } from '../client.js';

export function useBitmapWatch(client: CockpitClient, hosts: readonly string[], connection: ConnectionState): void {
  const key = hosts.join('\n');
  useEffect(() => {
    if (connection !== 'connected') return;
    client.call('bitmaps.watch', { hosts: key === '' ? [] : key.split('\n') }).catch(() => {
      // a hub without bitmaps.watch sends every bitmap: more to read, the same screen
    });
  }, [client, key, connection]);
}
