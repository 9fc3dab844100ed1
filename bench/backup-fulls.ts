// BENCH_ONLY=fulls of bench:backup: the full backup through the scan tracker against the full
// through the qemu-dirty-bitmap tracker, in the same run on the same kind of image (each run
// two fresh `mixed` images, so nothing deduplicates against an earlier run), the two taking
// turns. Wall seconds and CPU seconds of hub, agent and the agent's qemu-storage-daemon; the
// last line is the ratio qemu-dirty-bitmap / scan, min / median / max over the runs.
// BENCH_FULL_FORMAT=qcow2 gives the qemu-dirty-bitmap agent a qcow2 copy of its image (read
// through the daemon's NBD export; a raw image is read from its file).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { storageDaemonAvailable } from '../agent/trackers/qemu-daemon.js';
import { spread, timedBackup, withChildren, type TrackerRun } from './backup-cbt.js';
import { mixedImage } from './images.js';
import { AgentProc, waitConnected, type HubProc } from '../test/helpers/cluster.js';

type Tracker = 'scan' | 'qemu-dirty-bitmap';

export interface FullsBench {
  runs: { scan: TrackerRun; cbt: TrackerRun }[];
}

/** One full of a fresh image through `tracker`, by a fresh agent. */
async function oneFull(hub: HubProc, root: string, mib: number, tracker: Tracker, n: number, added: () => number, agentArgs: string[]): Promise<TrackerRun> {
  const host = `bench-full-${tracker === 'scan' ? 'scan' : 'cbt'}-${n}`;
  const image = path.join(root, `${host}.img`);
  mixedImage(image, mib);
  if (tracker === 'qemu-dirty-bitmap' && process.env.BENCH_FULL_FORMAT === 'qcow2') {
    execFileSync('qemu-img', ['convert', '-O', 'qcow2', image, `${image}.qcow2`]);
    fs.renameSync(`${image}.qcow2`, image);
  }
  const token = await hub.addHost(host);
  const agentDir = path.join(root, `agent-${host}`);
  const agent = new AgentProc(hub.agentsUrl, host, token, { disk: image }, agentDir, ['--watch', '0', '--tracker', tracker], agentArgs).start();
  try {
    await waitConnected(hub, host);
    process.stderr.write(`bench: full ${n} through ${tracker}\n`);
    return await timedBackup(hub, host, agentDir, true, added, () => [hub.proc.pid!, ...withChildren(agent.proc.pid!)]);
  } finally {
    await agent.stop();
    fs.rmSync(image, { force: true });
  }
}

export async function benchFulls(hub: HubProc, root: string, mib: number, runs: number, added: () => number, agentArgs: string[] = []): Promise<FullsBench | { skipped: string }> {
  if (!storageDaemonAvailable()) return { skipped: 'qemu-storage-daemon is not installed' };
  const out: FullsBench['runs'] = [];
  for (let n = 1; n <= runs; n++) {
    // taking turns: neither tracker always runs on the warmer machine
    if (n % 2) {
      const scan = await oneFull(hub, root, mib, 'scan', n, added, agentArgs);
      out.push({ scan, cbt: await oneFull(hub, root, mib, 'qemu-dirty-bitmap', n, added, agentArgs) });
    } else {
      const cbt = await oneFull(hub, root, mib, 'qemu-dirty-bitmap', n, added, agentArgs);
      out.push({ scan: await oneFull(hub, root, mib, 'scan', n, added, agentArgs), cbt });
    }
  }
  return { runs: out };
}

export function fullsLines(b: FullsBench | { skipped: string }): string[] {
  if ('skipped' in b) return [`fulls: ${b.skipped}`];
  const row = (name: string, r: TrackerRun, n: number) =>
    `${name.padEnd(19)}${String(n).padStart(4)}${r.seconds.toFixed(2).padStart(9)}${r.cpu.toFixed(2).padStart(8)}${(r.bytesAdded / 1048576).toFixed(1).padStart(10)}  cpu-s ${r.cpuParts.map((c) => c.toFixed(2)).join(' + ')}; transfer ${r.transferMs} ms, commit ${r.commitMs} ms, read ${(r.bytesRead / 1048576).toFixed(1)} MiB`;
  const lines = [`${'tracker'.padEnd(19)}${'run'.padStart(4)}${'wall s'.padStart(9)}${'cpu s'.padStart(8)}${'MiB added'.padStart(10)}  cpu-s of hub + agent (+ daemon); agent phases`];
  b.runs.forEach((r, k) => lines.push(row('scan', r.scan, k + 1), row('qemu-dirty-bitmap', r.cbt, k + 1)));
  const f = (s: { min: number; median: number; max: number }) => `${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)}`;
  const wall = spread(b.runs.map((r) => r.cbt.seconds / r.scan.seconds));
  const cpu = spread(b.runs.map((r) => r.cbt.cpu / r.scan.cpu));
  lines.push(`full through qemu-dirty-bitmap / through scan, same run (min / median / max of ${b.runs.length}): wall ${f(wall)}, cpu-s ${f(cpu)} (target <= 1)`);
  return lines;
}
