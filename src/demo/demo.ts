// `drc demo` / `npm start`: an embedded hub on a data dir of its own, three real agents
// (over loopback WebSocket) on generated sparse disk images, a workload writing to them,
// a full backup of each at start and an incremental every minute per host; with qemu
// installed, a fourth host is a bootable guest that drills boot on a qemu target.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '../../agent/agent.js';
import { fileLogger } from '../../agent/log.js';
import { Hub } from '../hub/hub.js';
import * as tokens from '../hub/tokens.js';
import { storageDaemonAvailable } from '../../agent/trackers/qemu-daemon.js';
import { DEMO_GUEST_HOST, demoGuest } from './demo-guest.js';
import { claimDemoDir } from './demo-dir.js';
import { startNbdWorkload } from './nbd-workload.js';
import { startWorkload, makeDemoImage, type Workload } from './workload.js';

export interface DemoHost {
  name: string;
  tags: string[];
  tier: string;
  mib: number;
  /** its disk is served by qemu-storage-daemon and tracked by QEMU's dirty bitmap, when installed */
  cbt?: boolean;
}

export const DEMO_HOSTS: DemoHost[] = [
  { name: 'web-01', tags: ['prod', 'web'], tier: 'gold', mib: 256 },
  { name: 'db-01', tags: ['prod', 'db'], tier: 'gold', mib: 384, cbt: true },
  { name: 'app-01', tags: ['dev', 'app'], tier: 'silver', mib: 192 },
];

export interface Demo {
  hub: Hub;
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

export async function startDemo(opts: { dir?: string; incrementalEveryMs?: number; keep?: boolean } = {}): Promise<Demo> {
  // never removes what it did not create (a --dir that held files keeps them)
  const claimed = claimDemoDir(opts.dir, ['hub', 'agents', 'demo.log', ...DEMO_HOSTS.map((h) => `${h.name}.img`)]);
  const dir = claimed.dir;
  const hubDir = path.join(dir, 'hub');
  const log = fileLogger(dir, 'demo', false);
  const guest = demoGuest(dir);
  const hub = new Hub({
    dataDir: hubDir,
    name: 'demo-hub',
    agents: { host: '127.0.0.1', port: 0 },
    http: null,
    apiTcp: null,
    tiers: [
      { name: 'gold', rpoSeconds: 5 * 60, rtoSeconds: 30 * 60 },
      { name: 'silver', rpoSeconds: 60 * 60, rtoSeconds: 4 * 3600 },
    ],
    hosts: [],
    concurrency: 2,
    log: fileLogger(hubDir, 'hub', false),
    ...(guest ? { recovery: { targets: guest.targets, checks: guest.checks, plans: [], drillTtlSeconds: 3600, switchHook: null } } : {}),
  });
  await hub.start();
  const agents: Agent[] = [];
  const workloads: Workload[] = [];
  const timers: NodeJS.Timeout[] = [];
  const cbt = process.env.DRC_DEMO_CBT !== '0' && storageDaemonAvailable();
  const hosts: DemoHost[] = guest ? [...DEMO_HOSTS, { name: DEMO_GUEST_HOST, tags: ['prod', 'vm'], tier: 'gold', mib: 64 }] : DEMO_HOSTS;
  for (const h of hosts) {
    const image = path.join(dir, `${h.name}.img`);
    // the bootable guest keeps its disk as built: the workload's random writes would break it
    if (h.name !== DEMO_GUEST_HOST) makeDemoImage(image, h.mib);
    const { token } = addHost(hub, h);
    const agent = new Agent({
      hub: hub.agentsUrl,
      host: h.name,
      token,
      dataDir: path.join(dir, 'agents', h.name),
      volumes: [{ name: 'root', path: image, blockSize: 65536, tracker: h.cbt && cbt ? 'qemu-dirty-bitmap' : 'scan' }],
      heartbeatMs: 2000,
      watchMs: 2000,
      log: fileLogger(path.join(dir, 'agents', h.name), 'agent', false),
    });
    agent.start();
    agents.push(agent);
    // the daemon owns a CBT host's image: its writes go through the NBD export
    if (h.name !== DEMO_GUEST_HOST) workloads.push(h.cbt && cbt ? startNbdWorkload(path.join(dir, 'agents', h.name, 'qemu', 'root.nbd'), 'root') : startWorkload(image));
  }
  log('info', `demo started in ${dir}`);
  // a full backup of each host as soon as its agent is in, then incrementals every minute
  const enqueue = (name: string, full: boolean): void => {
    const h = hub.catalog.hostByName(name)!;
    hub.jobs.enqueue({ kind: 'backup', hostId: h.id, volumes: [], type: full ? 'full' : 'incremental', priority: 5, origin: 'demo', params: {} });
  };
  hosts.forEach((h, i) => {
    enqueue(h.name, true);
    const every = opts.incrementalEveryMs ?? 60_000;
    const t = setTimeout(() => {
      enqueue(h.name, false);
      timers.push(setInterval(() => enqueue(h.name, false), every));
    }, every / 3 + i * (every / hosts.length / 2));
    timers.push(t);
  });
  let stopped = false;
  return {
    hub,
    dir,
    socket: path.join(hubDir, 'api.sock'),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const w of workloads) w.stop();
      await Promise.all(agents.map((a) => a.stop()));
      await hub.stop();
      if (!opts.keep) claimed.release();
    },
  };
}

function addHost(hub: Hub, h: DemoHost): { token: string } {
  // the demo's own hosts, created the way `drc hosts add` does
  const { newToken, hashToken } = tokens;
  const token = newToken();
  hub.catalog.addHost(h.name, h.tags, h.tier, hashToken(token), hub.iso());
  return { token };
}
