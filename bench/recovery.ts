// npm run bench:recovery — a 2 GiB bootable host (the test guest's 64 MiB boot disk plus a
// data disk) backed up by a real agent, then: a drill that restores everything and boots it,
// the same drill with --instant (boot from the hub's NBD export, restore behind), and the NBD
// export's sequential read throughput (1 MiB reads, every block hash-checked). Prints the time
// to "boot check passed" of each, the RTO each drill reported against it, and the ratios.
import { spawnSync } from 'node:child_process';
import { cpuOf } from './proc-cpu.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NbdClient } from '../src/protocol/nbd/client.js';
import type { InstanceView, RunView } from '../src/protocol/recovery.js';
import { AgentProc, HubProc, ROOT, makeImage, tempDir, waitConnected } from '../test/helpers/cluster.js';

/**
 * BENCH_RECOVERY_MIB: the data disk's size in MiB, or several sizes (comma-separated), each a
 * host of its own: by default the goal's 2 GiB host and a 16 GiB one, to show what grows with
 * the disk (the full restore) and what does not (the instant boot)
 */
const SIZES = (process.env.BENCH_RECOVERY_MIB ?? '1984,16320').split(',').map(Number).filter((n) => n > 0);
const keep = process.env.BENCH_KEEP === '1';
// TCG by default: the goal is stated under TCG, and both drills then start the same way
// (accel auto would pay for the failed KVM try in whichever drill runs first)
const ACCEL = process.env.BENCH_ACCEL ?? 'tcg';
/** BENCH_RECOVERY_ONLY=nbd: only the export's throughput */
const ONLY = process.env.BENCH_RECOVERY_ONLY ?? '';

function bootPassedSeconds(v: RunView): number {
  const boot = v.steps.flatMap((s) => s.checks).find((c) => c.type === 'boot' && c.status === 'pass');
  if (!boot) throw new Error(`drill ${v.id}: no passing boot check (${v.error ?? v.steps.map((s) => s.error).filter(Boolean).join('; ')})`);
  return (Date.parse(boot.finishedAt) - Date.parse(v.startedAt)) / 1000;
}

/** Sequential 1 MiB reads of the whole export, `depth` of them in flight (1: one after the other). */
async function nbdThroughput(socket: string, exportName: string, depth: number): Promise<{ bytes: number; seconds: number }> {
  const c = await NbdClient.connect({ path: socket }, exportName);
  try {
    const step = 1 << 20;
    const bufs = Array.from({ length: depth }, () => Buffer.allocUnsafe(step));
    let next = 0;
    const t = performance.now();
    await Promise.all(
      bufs.map(async (buf) => {
        while (next < c.size) {
          const o = next;
          next += step;
          await c.read(o, Math.min(step, c.size - o), buf);
        }
      }),
    );
    return { bytes: c.size, seconds: (performance.now() - t) / 1000 };
  } finally {
    await c.close();
  }
}

interface SizeResult {
  mib: number;
  full?: number;
  instant?: number;
  /** the full drill's power-on + boot: what an instant boot cannot beat */
  bootFloor?: number;
}

async function runSize(dataMib: number): Promise<SizeResult> {
  const root = tempDir('drc-bench-recovery-');
  const guest = path.join(root, 'guest.img');
  const data = path.join(root, 'data.img');
  const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [guest], { encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
  process.stderr.write(`bench: generating a ${dataMib} MiB data disk in ${root}\n`);
  makeImage(data, dataMib);
  fs.writeFileSync(
    path.join(root, 'drc.yaml'),
    [
      'targets:',
      `  - { name: vm, type: qemu, purpose: drill, path: ${path.join(root, 'vms')}, memory: 256, accel: ${ACCEL} }`,
      'checks:',
      '  - { name: booted, kind: boot, console: "drc-guest: booted", timeout: 120s }',
      '',
    ].join('\n'),
  );
  // BENCH_HUB_NODE_ARGS: flags for the hub's node (e.g. --cpu-prof --cpu-prof-dir=DIR)
  const hubNodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const hub = await new HubProc(path.join(root, 'hub'), ['--config', path.join(root, 'drc.yaml')], { nodeArgs: hubNodeArgs }).start();
  const token = await hub.addHost('bench');
  const agent = new AgentProc(hub.agentsUrl, 'bench', token, { disk: guest, data }, path.join(root, 'agent'), ['--watch', '0']).start();
  try {
    await waitConnected(hub, 'bench');
    process.stderr.write('bench: full backup\n');
    const job = await hub.json<{ state: string; error: string | null }>(['backup', 'bench', '--full', '--wait']);
    if (job.state !== 'succeeded') throw new Error(`backup failed: ${job.error}`);
    const drill = async (instant: boolean) => {
      process.stderr.write(`bench: drill${instant ? ' --instant' : ''}\n`);
      const t = performance.now();
      const hubCpu = cpuOf(hub.proc.pid!);
      const v = await hub.json<RunView>(['drill', 'bench', '--target', 'vm', '--yes', ...(instant ? ['--instant'] : [])]);
      const wall = (performance.now() - t) / 1000;
      // CPU seconds of the drill: the hub's (restore, exports) and the guest's qemu (boot, checks)
      const cpu = { hub: cpuOf(hub.proc.pid!) - hubCpu, qemu: v.instances[0]?.pid ? cpuOf(v.instances[0].pid) : NaN };
      const booted = bootPassedSeconds(v);
      await hub.run(['drill', 'cleanup', String(v.id)]);
      return { v, wall, booted, cpu };
    };
    // BENCH_INSTANT_FIRST=1 runs the --instant drill first (to see whether the order matters)
    const drills =
      ONLY === 'nbd'
        ? null
        : process.env.BENCH_INSTANT_FIRST === '1'
          ? await (async () => { const instant = await drill(true); return { instant, full: await drill(false) }; })()
          : { full: await drill(false), instant: await drill(true) };

    const m = await hub.json<InstanceView>(['mount', 'bench', '--volume', 'data']);
    await nbdThroughput(m.nbd!, 'data', 8); // warm the page cache of the packs
    const nbd = [];
    for (const depth of [1, 8]) {
      const hubCpu = cpuOf(hub.proc.pid!);
      const own = process.cpuUsage();
      const r = await nbdThroughput(m.nbd!, 'data', depth);
      const client = process.cpuUsage(own);
      nbd.push({ depth, ...r, hubCpu: cpuOf(hub.proc.pid!) - hubCpu, clientCpu: (client.user + client.system) / 1e6 });
    }
    await hub.run(['unmount', String(m.id)]);

    const gb = (dataMib + 64) / 1024;
    console.log(`drc bench:recovery — ${gb.toFixed(1)} GiB bootable host (64 MiB boot disk + ${dataMib} MiB data), qemu accel ${ACCEL}, ${os.availableParallelism()}-core machine, load ${os.loadavg()[0]!.toFixed(1)}`);
    if (drills) {
      console.log('case                            booted at   RTO shown   RTO/measured   restore   start    boot    drill wall   CPU s hub  qemu');
      for (const [name, r] of [['full restore, then boot', drills.full], ['--instant (NBD, restore behind)', drills.instant]] as const) {
        const rto = r.v.rto.actualSeconds ?? NaN;
        // the steps before the boot check passed: restores (none for --instant) and power-on
        const checksAt = r.v.steps.findIndex((s) => s.kind === 'checks');
        const took = (kind: string) => r.v.steps.slice(0, checksAt).filter((s) => s.kind === kind).reduce((a, s) => a + (s.durationMs ?? 0), 0) / 1000;
        console.log(
          `${name.padEnd(31)} ${`${r.booted.toFixed(1)} s`.padStart(9)}   ${`${rto.toFixed(1)} s`.padStart(9)}   ${(rto / r.booted).toFixed(3).padStart(12)}   ${`${took('restore').toFixed(1)} s`.padStart(7)}  ${`${took('start').toFixed(1)} s`.padStart(6)}  ${`${r.v.bootSeconds?.toFixed(1)} s`.padStart(6)}  ${`${r.wall.toFixed(1)} s`.padStart(10)}   ${r.cpu.hub.toFixed(1).padStart(9)}  ${r.cpu.qemu.toFixed(1).padStart(4)}`,
        );
      }
      for (const [name, r] of [['full', drills.full], ['instant', drills.instant]] as const) console.log(`power-on (${name}): ${r.v.steps.find((s) => s.kind === 'start')?.detail ?? '-'}`);
      // what the RTO counts after the boot check: the other checks (the screenshot) up to the checks step's end
      for (const [name, r] of [['full', drills.full], ['instant', drills.instant]] as const) {
        const step = r.v.steps.find((s) => s.kind === 'checks');
        const parts = (step?.checks ?? []).map((c) => `${c.name} (${c.type}) ${((c.durationMs ?? 0) / 1000).toFixed(2)} s`).join(', ');
        const after = step?.finishedAt ? (Date.parse(step.finishedAt) - Date.parse(r.v.startedAt)) / 1000 - r.booted : NaN;
        console.log(`checks (${name}): ${parts || '-'}; the step ended ${after.toFixed(2)} s after the boot check passed`);
      }
    }
    for (const r of nbd) {
      const rate = r.bytes / r.seconds / 1e9;
      console.log(
        `NBD export, sequential 1 MiB reads of ${dataMib} MiB, ${String(r.depth).padStart(2)} in flight, hash-checked: ${rate.toFixed(2)} GB/s` +
          ` (hub ${r.hubCpu.toFixed(2)} CPU s, client ${r.clientCpu.toFixed(2)} CPU s; target >= 1)`,
      );
    }
    if (drills) {
      const { full, instant } = drills;
      // an instant drill boots the same guest: it cannot pass its boot check before the full
      // drill's power-on + boot (from the restored local disk) would
      const bootOnly = (r: typeof full) => r.v.steps.filter((s) => s.kind === 'start').reduce((a, s) => a + (s.durationMs ?? 0), 0) / 1000 + (r.v.bootSeconds ?? NaN);
      const floor = bootOnly(full);
      console.log(`instant / full time to booted: ${(instant.booted / full.booted).toFixed(2)} (target <= 0.25); instant booted at ${instant.booted.toFixed(1)} s (target <= 10 s)`);
      console.log(
        `floor: an instant drill boots the same guest, so it passes its boot check no sooner than the full drill's power-on + boot (${floor.toFixed(1)} s): ` +
          `instant / full >= ${(floor / full.booted).toFixed(2)} at this size; 0.25 needs a restore >= ${(3 * floor).toFixed(1)} s (this one took ${(full.booted - floor).toFixed(1)} s); instant's own cost over that floor ${(instant.booted - floor).toFixed(1)} s`,
      );
      return { mib: dataMib, full: full.booted, instant: instant.booted, bootFloor: floor };
    }
    return { mib: dataMib };
  } finally {
    await hub.stop();
    await agent.stop('SIGKILL');
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`bench: kept ${root}\n`);
  }
}

async function main(): Promise<void> {
  const results: SizeResult[] = [];
  for (const mib of SIZES) {
    results.push(await runSize(mib));
    console.log('');
  }
  const both = results.filter((r) => r.full !== undefined && r.instant !== undefined);
  if (both.length > 1) {
    console.log('by host size (the full restore grows with the disk, the instant boot does not):');
    for (const r of both) {
      console.log(
        `  ${`${((r.mib + 64) / 1024).toFixed(1)} GiB`.padStart(8)}: full booted at ${r.full!.toFixed(1)} s, instant at ${r.instant!.toFixed(1)} s, instant / full ${(r.instant! / r.full!).toFixed(2)} (target <= 0.25; floor ${(r.bootFloor! / r.full!).toFixed(2)})`,
      );
    }
  }
}

await main();
