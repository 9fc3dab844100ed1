// The qemu half of the failback bench: the same host fails over to a qemu target, so it runs
// as an instance whose disk the hub tracks with a dirty bitmap from boot (its boot sector is a
// two-byte loop: the guest does nothing but keep running). 5 % of the blocks change inside the
// running guest (through its own disk device), 1 % at the source; the failback's reverse sync
// reads the guest's writes from the live disk, the cut-over pauses it, and the downtime runs
// from that pause to the source verified.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RecoveryReport, RunView } from '../src/protocol/recovery.js';
import { InstanceMonitor } from '../src/recovery/qemu/qmp.js';
import { AgentProc, HubProc, makeImage, rewriteBlocks, sha256File, tempDir, waitConnected } from '../test/helpers/cluster.js';
import { timedFailback, type FailbackFigures } from './failback-return.js';

const BS = 65536;

async function guestWrites(qmp: string, blocks: number[]): Promise<void> {
  const m = await InstanceMonitor.connect(qmp);
  try {
    const devices = await m.execute<{ qdev?: string; inserted?: { 'node-name'?: string } }[]>('query-block');
    const qdev = devices.find((b) => b.inserted?.['node-name'] === 'disk-disk')?.qdev;
    if (!qdev) throw new Error('the instance has no disk device');
    for (const i of blocks) {
      const pattern = 1 + Math.floor(Math.random() * 254);
      const out = await m.execute<string>('human-monitor-command', { 'command-line': `qemu-io -d ${qdev} "write -P ${pattern} ${i * BS} ${BS}"` });
      if (/error|conflict/i.test(out)) throw new Error(`guest write at block ${i}: ${out.trim()}`);
    }
  } finally {
    m.close();
  }
}

export async function failbackFromInstance(mib: number, keepDir: boolean): Promise<FailbackFigures> {
  const root = tempDir('drc-bench-failback-qemu-');
  const image = path.join(root, 'h1.img');
  process.stderr.write(`bench: failback from a qemu instance of a ${mib} MiB host: generating its image\n`);
  makeImage(image, mib);
  const fd = fs.openSync(image, 'r+');
  fs.writeSync(fd, Buffer.from([0xeb, 0xfe]), 0, 2, 0);
  fs.writeSync(fd, Buffer.from([0x55, 0xaa]), 0, 2, 510);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(root, 'drc.yaml'), ['targets:', `  - { name: prod, type: qemu, purpose: failover, path: ${path.join(root, 'prod')}, memory: 128, network: none }`, ''].join('\n'));
  const hubData = path.join(root, 'hub');
  const hub = await new HubProc(hubData, ['--config', path.join(root, 'drc.yaml')]).start();
  const token = await hub.addHost('h1');
  const agent = new AgentProc(hub.agentsUrl, 'h1', token, { disk: image }, path.join(root, 'agent'), ['--watch', '0']).start();
  let pid: number | null = null;
  try {
    await waitConnected(hub, 'h1');
    process.stderr.write('bench: full backup, then failover to the qemu target\n');
    const job = await hub.json<{ state: string; error: string | null }>(['backup', 'h1', '--full', '--wait']);
    if (job.state !== 'succeeded') throw new Error(`backup failed: ${job.error}`);
    const fo = await hub.json<RunView>(['failover', 'h1', '--target', 'prod', '--confirm', 'h1']);
    const inst = fo.instances[0];
    if (!inst) throw new Error(`the failover started no instance: ${fo.steps.map((s) => s.detail).join('; ')}`);
    pid = inst.pid;
    const db = new Database(path.join(hubData, 'catalog.db'), { readonly: true, fileMustExist: true });
    const qmp = (db.prepare('SELECT qmp FROM recovered_instances WHERE id = ?').get(inst.id) as { qmp: string }).qmp;
    db.close();
    const blocks = Math.floor((mib * 1048576) / BS);
    const pick = (n: number): number[] => {
      const s = new Set<number>();
      while (s.size < n) s.add(1 + Math.floor(Math.random() * (blocks - 1)));
      return [...s].sort((a, b) => a - b);
    };
    const drSide = pick(Math.round(blocks * 0.05));
    process.stderr.write(`bench: ${drSide.length} block writes inside the running guest\n`);
    await guestWrites(qmp, drSide);
    const srcSide = rewriteBlocks(image, Math.round(blocks * 0.01)).filter((i) => i > 0);
    const union = new Set([...drSide, ...srcSide]).size;
    process.stderr.write(`bench: failback from instance ${inst.id}\n`);
    const { fb, wall, w } = await timedFailback(hub, root);
    const identical = sha256File(image) === sha256File(fo.hosts[0]!.points[0]!.image);
    const ratio = w.bytesSent / (union * BS);
    return {
      ratio,
      downtimeSeconds: w.downtimeSeconds ?? null,
      rows: [
        ['failback (qemu): changed blocks', `${drSide.length} in the running guest (5 %), ${srcSide.length} at the source (1 %), union ${union} (${((union * BS) / 1048576).toFixed(1)} MiB)`],
        ['failback (qemu): sent back', `${w.blocksSent} blocks, ${(w.bytesSent / 1048576).toFixed(1)} MiB = ${ratio.toFixed(2)}× the union`],
        ['failback (qemu): cut-over downtime', `${w.downtimeSeconds ?? '?'} s, guest paused → source verified (whole run ${wall.toFixed(1)} s, ${fb.state})`],
        ['failback (qemu): source = DR disk', identical ? 'byte-identical' : 'DIFFERENT'],
      ],
    };
  } finally {
    await agent.stop();
    await hub.stop();
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* stopped by the failback */
      }
    }
    if (!keepDir) fs.rmSync(root, { recursive: true, force: true });
  }
}
