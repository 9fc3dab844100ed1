// The dirty-bitmap section of bench:backup: the same kind of image served by a
// qemu-storage-daemon the agent runs (--tracker qemu-dirty-bitmap), a full backup, 5% of the
// blocks rewritten through the NBD export, and the incremental: wall time, the tracker's own
// phase (freeze, dirty extents, reading and hashing the dirty blocks) and bytes read.
import { spawnSync } from 'node:child_process';
import { cpuOf } from './proc-cpu.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NbdClient } from '../src/protocol/nbd/client.js';
import { storageDaemonAvailable } from '../agent/trackers/qemu-daemon.js';
import { mixedImage } from './images.js';
import { AgentProc, waitConnected, waitFor, type HubProc } from '../test/helpers/cluster.js';

export interface TrackerRun {
  /** `drc backup --wait`, CLI start to exit */
  seconds: number;
  /** the hub's job, started to finished */
  jobSeconds: number;
  /** the tracker's phase on the agent: find and read (and hash) the changed blocks */
  trackerSeconds: number;
  bytesRead: number;
  bytesAdded: number;
  wire: number;
  /** CPU seconds (user + system) of the hub, the agent and the agent's qemu-storage-daemon */
  cpu: number;
  /** the same, per process: hub, agent, then the agent's children */
  cpuParts: number[];
  /** the tracker's steps (agent log `scanPhases`), ms */
  phases: Record<string, number>;
  /** the agent's transfer and commit phases (commit includes the hub's fsync and the view's release), ms */
  transferMs: number;
  commitMs: number;
}

interface JobInfo {
  id: number;
  state: string;
  error: string | null;
  bytesWire: number;
  bytesNew: number;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface AgentJobLog {
  /** blocks sent to the hub */
  sent: number;
  bytesRead: number;
  scanMs: number;
  transferMs: number;
  commitMs: number;
  scanPhases: Record<string, number>;
}

/** What the agent logged for a job: bytes read, the tracker phase and its steps. */
export async function agentRun(agentDir: string, jobId: number): Promise<AgentJobLog> {
  return waitFor(`agent log of job ${jobId}`, () => {
    const lines = fs.readFileSync(path.join(agentDir, 'agent.log'), 'utf8').trim().split('\n');
    for (const l of lines) {
      const j = JSON.parse(l) as Partial<AgentJobLog> & { job?: number };
      if (j.job === jobId && typeof j.bytesRead === 'number') {
        return { sent: j.sent ?? 0, bytesRead: j.bytesRead, scanMs: j.scanMs ?? 0, transferMs: j.transferMs ?? 0, commitMs: j.commitMs ?? 0, scanPhases: j.scanPhases ?? {} };
      }
    }
    return null;
  });
}

/** `pid` and its running descendants (the agent's qemu-storage-daemon runs under a shell guard) */
export function withChildren(pid: number): number[] {
  const kids: number[] = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) kids.push(...withChildren(Number(c)));
    }
  } catch {
    // gone: no children
  }
  return [pid, ...kids];
}

export async function timedBackup(hub: HubProc, host: string, agentDir: string, full: boolean, added: () => number, pids: () => number[] = () => []): Promise<TrackerRun> {
  // like the other rows: no run pays for the writeback of the previous one's packs
  spawnSync('sync');
  const before = added();
  const procs = pids();
  const cpu0 = procs.map((p) => cpuOf(p)); // not map(cpuOf): its second parameter is a thread id
  const t = process.hrtime.bigint();
  const job = await hub.json<JobInfo>(['backup', host, '--wait', ...(full ? ['--full'] : [])]);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const cpuParts = procs.map((p, k) => cpuOf(p) - cpu0[k]!);
  const cpu = cpuParts.reduce((a, b) => a + b, 0);
  if (job.state !== 'succeeded') throw new Error(`drc backup ${host} failed: ${job.error}`);
  const run = await agentRun(agentDir, job.id);
  const jobSeconds = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : seconds;
  return {
    seconds, jobSeconds, trackerSeconds: run.scanMs / 1000, bytesRead: run.bytesRead, bytesAdded: added() - before, wire: job.bytesWire, cpu, cpuParts,
    phases: run.scanPhases, transferMs: run.transferMs, commitMs: run.commitMs,
  };
}

/** `incrementals` in order; each after its own 5% rewrite (`changedBytes` each) */
export type DirtyBitmapBench = { skipped: string } | { full: TrackerRun; incrementals: TrackerRun[]; changedBytes: number };

export async function benchDirtyBitmap(hub: HubProc, root: string, mib: number, blockSize: number, added: () => number, runs = 1): Promise<DirtyBitmapBench> {
  if (!storageDaemonAvailable()) return { skipped: 'qemu-storage-daemon is not installed: no dirty-bitmap row' };
  const image = path.join(root, 'cbt.img');
  process.stderr.write(`bench: generating a ${mib} MiB image for the dirty-bitmap tracker\n`);
  mixedImage(image, mib);
  const token = await hub.addHost('bench-cbt');
  const agentDir = path.join(root, 'agent-cbt');
  const agent = new AgentProc(hub.agentsUrl, 'bench-cbt', token, { disk: image }, agentDir, ['--watch', '0', '--tracker', 'qemu-dirty-bitmap'], (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean)).start();
  try {
    await waitConnected(hub, 'bench-cbt');
    process.stderr.write('bench: drc full backup (qemu-dirty-bitmap)\n');
    const pids = () => [hub.proc.pid!, ...withChildren(agent.proc.pid!)];
    const full = await timedBackup(hub, 'bench-cbt', agentDir, true, added, pids);
    const incrementals: TrackerRun[] = [];
    let changedBytes = 0;
    for (let n = 0; n < runs; n++) {
      changedBytes = await rewriteThroughNbd(path.join(agentDir, 'qemu', 'disk.nbd'), blockSize);
      process.stderr.write(`bench: rewrote ${changedBytes / blockSize} blocks through NBD; drc incremental ${n + 1}/${runs} (qemu-dirty-bitmap)\n`);
      incrementals.push(await timedBackup(hub, 'bench-cbt', agentDir, false, added, pids));
    }
    return { full, incrementals, changedBytes };
  } finally {
    const stopped = agent.stop();
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 15_000))]);
    if (agent.proc.exitCode === null && agent.proc.signalCode === null) {
      process.stderr.write('bench: the dirty-bitmap agent did not stop within 15 s of SIGTERM; killing it\n');
      await agent.stop('SIGKILL');
    }
  }
}

/** Rewrite 5% of the blocks, chosen at random, with random data through the disk's NBD export; returns the bytes written. */
async function rewriteThroughNbd(socket: string, blockSize: number): Promise<number> {
  const disk = await NbdClient.connect({ path: socket }, 'disk');
  try {
    const blocks = Math.floor(disk.size / blockSize);
    const chosen = new Set<number>();
    while (chosen.size < Math.round(blocks / 20)) chosen.add(Math.floor(Math.random() * blocks));
    await Promise.all([...chosen].map((i) => disk.write(i * blockSize, randomBytes(blockSize))));
    await disk.flush();
    return chosen.size * blockSize;
  } finally {
    await disk.close();
  }
}

/** min / median / max */
export function spread(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
}

/** One line per incremental: the tracker's steps in ms. */
export function phaseLines(runs: TrackerRun[]): string[] {
  return runs.map((r, k) => {
    const steps = Object.entries(r.phases).map(([name, ms]) => `${name} ${ms}`).join(', ');
    return `  incremental ${k + 1}: tracker ${(r.trackerSeconds * 1000).toFixed(0)} ms (${steps}); transfer ${r.transferMs} ms, commit ${r.commitMs} ms, job ${r.jobSeconds.toFixed(2)} s`;
  });
}
