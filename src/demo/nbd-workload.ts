// The demo's workload for a host whose disk a qemu-storage-daemon owns (the
// qemu-dirty-bitmap tracker): the same bursts of rewrites in a few hot regions, sent through
// the daemon's NBD export so QEMU's dirty bitmap sees them.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { NbdClient } from '../protocol/nbd/client.js';
import type { Workload } from './workload.js';

export function startNbdWorkload(socket: string, exportName: string, opts: { blockSize?: number; everyMs?: number; maxBurst?: number } = {}): Workload {
  const bs = opts.blockSize ?? 65536;
  let disk: NbdClient | null = null;
  let hot: number[] = [];
  let busy = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (!disk) {
      if (!fs.existsSync(socket)) return; // the agent has not started the daemon yet
      disk = await NbdClient.connect({ path: socket }, exportName);
    }
    const blocks = Math.floor(disk.size / bs);
    if (hot.length === 0) hot = Array.from({ length: 4 }, () => Math.floor(Math.random() * blocks));
    const burst = 1 + Math.floor(Math.random() * (opts.maxBurst ?? 40));
    const centre = Math.random() < 0.8 ? hot[Math.floor(Math.random() * hot.length)]! : Math.floor(Math.random() * blocks);
    for (let k = 0; k < burst; k++) {
      const i = Math.min(blocks - 1, Math.max(0, centre + Math.floor((Math.random() - 0.5) * blocks * 0.05)));
      await disk.write(i * bs, randomBytes(bs));
    }
    await disk.flush();
    if (Math.random() < 0.05) hot[Math.floor(Math.random() * hot.length)] = Math.floor(Math.random() * blocks);
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    tick()
      .catch(() => {
        // the daemon went away (agent restarting it): connect again next time
        void disk?.close().catch(() => undefined);
        disk = null;
      })
      .finally(() => (busy = false));
  }, opts.everyMs ?? 1500);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      void disk?.close().catch(() => undefined);
    },
  };
}
