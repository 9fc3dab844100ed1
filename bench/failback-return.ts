// The failback half of `npm run bench:replication`: a 2 GiB host (scan tracker) fails over to
// the hub's directory target with a final sync, then 5 % of its blocks change at the DR site
// and 1 % at the source; the failback sends back only their union. Prints the bytes sent
// back against the union, the blocks the source hashed, the cut-over downtime (cut-over
// start → source verified) and whether the source ended byte-identical to the DR image.
import fs from 'node:fs';
import path from 'node:path';
import type { RecoveryReport, RunView } from '../src/protocol/recovery.js';
import { AgentProc, HubProc, makeImage, rewriteBlocks, sha256File, tempDir, waitConnected } from '../test/helpers/cluster.js';

const BS = 65536;

export interface FailbackFigures {
  rows: [string, string][];
  ratio: number;
  downtimeSeconds: number | null;
}

/** `drc failback h1` as an operator runs it, timed, and the way-back figures of its report. */
export async function timedFailback(hub: HubProc, root: string): Promise<{ fb: RunView; wall: number; w: NonNullable<RecoveryReport['wayBack']> }> {
  const t = performance.now();
  const fb = await hub.json<RunView>(['failback', 'h1', '--confirm', 'h1']);
  const wall = (performance.now() - t) / 1000;
  await hub.json(['report', 'export', String(fb.id), '--format', 'json', '--out', path.join(root, 'failback.json')]);
  const rep = JSON.parse(fs.readFileSync(path.join(root, 'failback.json'), 'utf8')) as RecoveryReport;
  return { fb, wall, w: rep.wayBack! };
}

export async function failbackReturn(mib: number, keepDir: boolean): Promise<FailbackFigures> {
  const root = tempDir('drc-bench-failback-');
  const image = path.join(root, 'h1.img');
  process.stderr.write(`bench: failback of a ${mib} MiB host: generating its image\n`);
  makeImage(image, mib);
  const hub = await new HubProc(path.join(root, 'hub')).start();
  const token = await hub.addHost('h1');
  const agent = new AgentProc(hub.agentsUrl, 'h1', token, { disk: image }, path.join(root, 'agent'), ['--watch', '0']).start();
  try {
    await waitConnected(hub, 'h1');
    process.stderr.write('bench: full backup, then failover with a final sync\n');
    const job = await hub.json<{ state: string; error: string | null }>(['backup', 'h1', '--full', '--wait']);
    if (job.state !== 'succeeded') throw new Error(`backup failed: ${job.error}`);
    const fo = await hub.json<RunView>(['failover', 'h1', '--confirm', 'h1']);
    const dr = fo.hosts[0]!.points[0]!.image;
    const blocks = Math.floor((mib * 1048576) / BS);
    const drSide = rewriteBlocks(dr, Math.round(blocks * 0.05));
    const srcSide = rewriteBlocks(image, Math.round(blocks * 0.01));
    const union = new Set([...drSide, ...srcSide]).size;
    process.stderr.write(`bench: failback (${drSide.length} blocks changed at the DR site, ${srcSide.length} at the source)\n`);
    const { fb, wall, w } = await timedFailback(hub, root);
    const identical = sha256File(image) === sha256File(dr);
    const ratio = w.bytesSent / (union * BS);
    return {
      ratio,
      downtimeSeconds: w.downtimeSeconds ?? null,
      rows: [
        ['failback: changed blocks', `${drSide.length} at the DR site (5 %), ${srcSide.length} at the source (1 %), union ${union} (${(union * BS / 1048576).toFixed(1)} MiB)`],
        ['failback: sent back', `${w.blocksSent} blocks, ${(w.bytesSent / 1048576).toFixed(1)} MiB = ${ratio.toFixed(2)}× the union; source hashed ${w.sourceHashedBlocks ?? '?'} of ${blocks} blocks`],
        ['failback: cut-over downtime', `${w.downtimeSeconds ?? '?'} s (whole run ${wall.toFixed(1)} s, ${fb.state})`],
        ['failback: source = DR image', identical ? 'byte-identical' : 'DIFFERENT'],
      ],
    };
  } finally {
    await agent.stop();
    await hub.stop();
    if (!keepDir) fs.rmSync(root, { recursive: true, force: true });
  }
}
