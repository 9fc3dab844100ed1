// Plumbing of the qemu-dirty-bitmap integration tests: writes through an NBD export, copies
// of the image as the export shows it (nbdcopy, or our own client), what a point's manifest
// lists, what the agent logged for a job, which daemons are still running.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NbdClient } from '../../src/protocol/nbd/client.js';
import { STATE_ZERO } from '../../src/protocol/nbd/protocol.js';
import { waitFor, withCatalog } from './support.js';

export const BS = 65536;

export const haveQemu = spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0;
/** Whether a process still runs (signal 0). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
export const haveNbdcopy = spawnSync('nbdcopy', ['--version'], { stdio: 'ignore' }).status === 0;

/** Write random data to these blocks and flush. */
export async function writeBlocks(disk: NbdClient, blocks: number[]): Promise<void> {
  await Promise.all(blocks.map((i) => disk.write(i * BS, randomBytes(BS))));
  await disk.flush();
}

/** sha256 of the whole export as it is now (nbdcopy when installed). */
export async function exportSha(socket: string, exportName: string, scratch: string): Promise<string> {
  if (haveNbdcopy) {
    const r = spawnSync('nbdcopy', [`nbd+unix:///${exportName}?socket=${socket}`, scratch], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nbdcopy failed: ${r.stderr}`);
    const sha = createHash('sha256').update(fs.readFileSync(scratch)).digest('hex');
    fs.rmSync(scratch, { force: true });
    return sha;
  }
  const c = await NbdClient.connect({ path: socket }, exportName);
  try {
    return createHash('sha256').update(await c.read(0, c.size)).digest('hex');
  } finally {
    await c.close();
  }
}

/** Bytes of the blocks of an export that hold data (not entirely a zero extent of base:allocation). */
export async function allocatedBytes(socket: string, exportName: string): Promise<number> {
  const c = await NbdClient.connect({ path: socket }, exportName, { metaContexts: ['base:allocation'] });
  try {
    const data = new Set<number>();
    for (const e of await c.blockStatus('base:allocation')) {
      if (e.flags & STATE_ZERO) continue;
      for (let i = Math.floor(e.offset / BS); i * BS < e.offset + e.length; i++) data.add(i);
    }
    return data.size * BS;
  } finally {
    await c.close();
  }
}

/** Block indices a point's manifest lists. */
export function manifestBlocks(hubData: string, pointId: number): number[] {
  const m = withCatalog(hubData, (db) => (db.prepare('SELECT manifest FROM points WHERE id = ?').get(pointId) as { manifest: Buffer }).manifest);
  const out: number[] = [];
  for (let o = 0; o < m.length; o += 37) out.push(m.readUInt32LE(o));
  return out;
}

export interface JobLogLine {
  job: number;
  changed: number;
  bytesRead: number;
  scanMs: number;
}

/** What the agent logged about one job's volume (it logs after the hub's commit ack, so wait a little). */
export function agentJobLog(agentData: string, jobId: number): Promise<JobLogLine> {
  return waitFor(`the agent's log line for job ${jobId}`, () => {
    const lines = fs.readFileSync(path.join(agentData, 'agent.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Partial<JobLogLine>);
    return lines.find((l): l is JobLogLine => l.job === jobId && typeof l.bytesRead === 'number');
  }, 10_000);
}

export function hubEvents(hubData: string, kind: string): { host: string; message: string }[] {
  return withCatalog(hubData, (db) => db.prepare('SELECT host, message FROM events WHERE kind = ? ORDER BY id').all(kind) as { host: string; message: string }[]);
}

/** Pids of qemu-storage-daemon processes whose command line mentions `dir`. */
export function daemonsUnder(dir: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('qemu-storage-daemon') && cmd.some((a) => a.includes(dir))) out.push(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
