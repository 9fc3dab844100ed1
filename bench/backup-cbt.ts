// The dirty-bitmap section of bench:backup: the same kind of image served by a
// qemu-storage-daemon the agent runs (--tracker qemu-dirty-bitmap), a full backup, 5% of the
// blocks rewritten through the NBD export, and the incremental: wall time, the tracker's own
// phase (freeze, dirty extents, reading and hashing the dirty blocks) and bytes read.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NbdClient } from '../agent/nbd/client.js';
import { storageDaemonAvailable } from '../agent/trackers/qemu-daemon.js';
import { AgentProc, makeImage, waitConnected, waitFor, type HubProc } from '../test/helpers/cluster.js';

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

/** What the agent logged for a job: bytes read and the tracker phase. */
export async function agentRun(agentDir: string, jobId: number): Promise<{ bytesRead: number; scanMs: number }> {
  return waitFor(`agent log of job ${jobId}`, () => {
    const lines = fs.readFileSync(path.join(agentDir, 'agent.log'), 'utf8').trim().split('\n');
    for (const l of lines) {
      const j = JSON.parse(l) as { job?: number; bytesRead?: number; scanMs?: number };
      if (j.job === jobId && typeof j.bytesRead === 'number') return { bytesRead: j.bytesRead, scanMs: j.scanMs ?? 0 };
    }
    return null;
  });
}

export async function timedBackup(hub: HubProc, host: string, agentDir: string, full: boolean, added: () => number): Promise<TrackerRun> {
  const before = added();
  const t = process.hrtime.bigint();
  const job = await hub.json<JobInfo>(['backup', host, '--wait', ...(full ? ['--full'] : [])]);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (job.state !== 'succeeded') throw new Error(`drc backup ${host} failed: ${job.error}`);
  const run = await agentRun(agentDir, job.id);
  const jobSeconds = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : seconds;
  return { seconds, jobSeconds, trackerSeconds: run.scanMs / 1000, bytesRead: run.bytesRead, bytesAdded: added() - before, wire: job.bytesWire };
}

export type DirtyBitmapBench = { skipped: string } | { full: TrackerRun; incremental: TrackerRun; changedBytes: number };

export async function benchDirtyBitmap(hub: HubProc, root: string, mib: number, blockSize: number, added: () => number): Promise<DirtyBitmapBench> {
  if (!storageDaemonAvailable()) return { skipped: 'qemu-storage-daemon is not installed: no dirty-bitmap row' };
  const image = path.join(root, 'cbt.img');
  process.stderr.write(`bench: generating a ${mib} MiB image for the dirty-bitmap tracker\n`);
  makeImage(image, mib);
  const token = await hub.addHost('bench-cbt');
  const agentDir = path.join(root, 'agent-cbt');
  const agent = new AgentProc(hub.agentsUrl, 'bench-cbt', token, { disk: image }, agentDir, ['--watch', '0', '--tracker', 'qemu-dirty-bitmap']).start();
  try {
    await waitConnected(hub, 'bench-cbt');
    process.stderr.write('bench: drc full backup (qemu-dirty-bitmap)\n');
    const full = await timedBackup(hub, 'bench-cbt', agentDir, true, added);
    const disk = await NbdClient.connect({ path: path.join(agentDir, 'qemu', 'disk.nbd') }, 'disk');
    const blocks = Math.floor(disk.size / blockSize);
    const chosen = new Set<number>();
    while (chosen.size < Math.round(blocks / 20)) chosen.add(Math.floor(Math.random() * blocks));
    await Promise.all([...chosen].map((i) => disk.write(i * blockSize, randomBytes(blockSize))));
    await disk.flush();
    await disk.close();
    const changedBytes = chosen.size * blockSize;
    process.stderr.write(`bench: rewrote ${chosen.size} blocks through NBD; drc incremental (qemu-dirty-bitmap)\n`);
    const incremental = await timedBackup(hub, 'bench-cbt', agentDir, false, added);
    return { full, incremental, changedBytes };
  } finally {
    const stopped = agent.stop();
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 15_000))]);
    if (agent.proc.exitCode === null && agent.proc.signalCode === null) {
      process.stderr.write('bench: the dirty-bitmap agent did not stop within 15 s of SIGTERM; killing it\n');
      await agent.stop('SIGKILL');
    }
  }
}
