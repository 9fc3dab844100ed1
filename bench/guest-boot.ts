// npm run bench:guest-boot [-- IMG] — where the test guest's boot goes: powers the guest on
// with the hub's own qemu command line (overlay over the image, TCG by default) and prints
// each serial console line with its time since power-on, then the time to "drc-guest: booted"
// and qemu's CPU seconds (per line too: under load, CPU seconds compare better than wall). BENCH_RUNS boots (default 3; min/median/max), BENCH_ACCEL, and
// BENCH_QEMU_EXTRA (extra qemu arguments, space-separated) to try options. BENCH_FROM=nbd
// boots from the hub's NBD export of a backed-up point of the image instead (as --instant
// does), then once more from the image itself, so the two boots compare in one run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { qemuArgs } from '../src/recovery/qemu/command-line.js';
import type { InstanceView } from '../src/protocol/recovery.js';
import { AgentProc, HubProc, ROOT, tempDir, waitConnected } from '../test/helpers/cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ACCEL = (process.env.BENCH_ACCEL ?? 'tcg') as 'kvm' | 'tcg';
const EXTRA = (process.env.BENCH_QEMU_EXTRA ?? '').split(' ').filter(Boolean);
const MARKER = 'drc-guest: booted';
const FROM = process.env.BENCH_FROM === 'nbd' ? 'nbd' : 'file';

type Base = { kind: 'file'; path: string; format: 'raw' } | { kind: 'nbd'; socket: string; export: string };

interface Boot {
  lines: { at: number; cpu: number; text: string }[];
  bootedAt: number;
  cpu: number;
}

function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function boot(img: string, dir: string, base: Base = { kind: 'file', path: img, format: 'raw' }): Promise<Boot> {
  const overlay = path.join(dir, 'overlay.qcow2');
  const console_ = path.join(dir, 'console.log');
  fs.rmSync(overlay, { force: true });
  fs.writeFileSync(console_, '');
  spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', overlay, String(fs.statSync(img).size)]);
  const args = qemuArgs({
    name: 'guest-boot',
    spec: { memoryMiB: 256, cpus: 1, accel: ACCEL, firmware: 'bios', diskBus: 'virtio', network: 'isolated', ports: [], binary: 'qemu-system-x86_64' },
    accel: ACCEL,
    disks: [{ volume: 'disk', overlay, base }],
    forwards: [],
    bindAddress: '127.0.0.1',
    console: console_,
    qmp: path.join(dir, 'qmp.sock'),
    pidFile: path.join(dir, 'qemu.pid'),
    firmwareFile: null,
  });
  const t0 = performance.now();
  const p = spawn('qemu-system-x86_64', [...args, ...EXTRA], { stdio: ['ignore', 'ignore', 'inherit'] });
  const lines: Boot['lines'] = [];
  let seen = 0;
  let partial = '';
  let bootedAt = NaN;
  let cpu = NaN;
  const deadline = t0 + 60_000;
  while (performance.now() < deadline) {
    const buf = fs.readFileSync(console_);
    if (buf.length > seen) {
      const at = (performance.now() - t0) / 1000;
      const cpuNow = cpuSeconds(p.pid!);
      partial += buf.subarray(seen).toString('utf8');
      seen = buf.length;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) {
        // eslint-disable-next-line no-control-regex
        const text = l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc|\r/g, '').trimEnd();
        if (text) lines.push({ at, cpu: cpuNow, text });
        if (text.includes(MARKER)) bootedAt = at;
      }
      if (!Number.isNaN(bootedAt)) {
        cpu = cpuSeconds(p.pid!);
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  p.kill('SIGKILL');
  await new Promise((r) => p.once('exit', r));
  return { lines, bootedAt, cpu };
}

async function main(): Promise<void> {
  const dir = tempDir('drc-guest-boot-');
  let img = process.argv[2];
  if (!img) {
    img = path.join(dir, 'guest.img');
    const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [img], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
  }
  const report = (what: string, boots: Boot[]) => {
    const last = boots[boots.length - 1]!;
    console.log(`drc bench:guest-boot — ${path.basename(img)} ${what}, accel ${ACCEL}${EXTRA.length ? `, extra ${EXTRA.join(' ')}` : ''}; console of the last boot:`);
    console.log('  wall    qemu CPU  line');
    for (const l of last.lines) console.log(`${l.at.toFixed(2).padStart(6)} s  ${l.cpu.toFixed(2).padStart(6)} s  ${l.text.slice(0, 100)}`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const b = sorted(boots.map((x) => x.bootedAt));
    const c = sorted(boots.map((x) => x.cpu));
    const mmm = (xs: number[]) => `${xs[0]!.toFixed(2)} / ${xs[Math.floor(xs.length / 2)]!.toFixed(2)} / ${xs[xs.length - 1]!.toFixed(2)}`;
    console.log(`${what}: power-on -> "${MARKER}": ${mmm(b)} s (min / median / max of ${RUNS}); qemu CPU ${mmm(c)} s`);
  };
  if (FROM === 'nbd') {
    const hub = await new HubProc(path.join(dir, 'hub'), [], { http: 'off' }).start();
    const token = await hub.addHost('guest');
    const agent = new AgentProc(hub.agentsUrl, 'guest', token, { disk: img }, path.join(dir, 'agent'), ['--watch', '0']).start();
    try {
      await waitConnected(hub, 'guest');
      const job = await hub.json<{ state: string; error: string | null }>(['backup', 'guest', '--full', '--wait']);
      if (job.state !== 'succeeded') throw new Error(`backup failed: ${job.error}`);
      const m = await hub.json<InstanceView>(['mount', 'guest', '--volume', 'disk']);
      // each boot from a new export, as each --instant drill opens its own
      const boots: Boot[] = [];
      let id = m.id;
      for (let i = 0; i < RUNS; i++) {
        const e = i === 0 ? m : await hub.json<InstanceView>(['mount', 'guest', '--volume', 'disk']);
        id = e.id;
        boots.push(await boot(img, dir, { kind: 'nbd', socket: e.nbd!, export: 'disk' }));
        await hub.run(['unmount', String(id)]);
      }
      const local: Boot[] = [];
      for (let i = 0; i < RUNS; i++) local.push(await boot(img, dir));
      report('from the hub\'s NBD export', boots);
      report('from the image file', local);
    } finally {
      await agent.stop('SIGKILL');
      await hub.stop();
    }
  } else {
    const boots: Boot[] = [];
    for (let i = 0; i < RUNS; i++) boots.push(await boot(img, dir));
    report('from the image file', boots);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
