// The DR-side chain through a real hub: after a failover, an agent started at the DR site on
// the recovered image (`drc agent --site dr`, the host's own token) is not fenced, backs the
// image up, and its points show in `drc points` (human and --json) with site dr beside the
// primary chain; an agent claiming the DR site while the host is home is fenced and gets no
// backups (they wait for the primary agent).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, makeImage, rewriteBlocks, type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, points, waitFor } from './support.js';

describe('points taken at the DR site', () => {
  const c = new Cluster();
  let hub: HubProc;
  let token: string;
  let source: AgentProc;

  beforeAll(async () => {
    hub = await c.startHub();
    token = await hub.addHost('h1');
    makeImage(c.file('h1.img'), 4);
    source = await c.startAgent(hub, 'h1', token, { disk: c.file('h1.img') });
    await backupOk(hub, 'h1', true);
  });

  afterAll(() => c.stop());

  it('records the DR agent\'s backups of the recovered image as the host\'s DR-side chain', async () => {
    await hub.json(['failover', 'h1', '--confirm', 'h1', '--no-final-sync']);
    await source.stop();
    const image = path.join(hub.dataDir, 'failover', 'h1', 'h1-disk.img');
    expect(fs.existsSync(image)).toBe(true);
    rewriteBlocks(image, 3);
    const dr = await c.startAgent(hub, 'h1', token, { disk: image }, ['--site', 'dr']);
    const first = await backupOk(hub, 'h1');
    rewriteBlocks(image, 2);
    await backupOk(hub, 'h1');
    const list = await points(hub, 'h1');
    expect(list.map((p) => [p.site, p.type])).toEqual([['primary', 'full'], ['dr', 'full'], ['dr', 'incremental']]);
    expect(first.pointIds[0]).toBe(list[1]!.id);
    const human = await hub.run(['points', 'h1']);
    expect(human.stdout).toMatch(/SITE/);
    expect(human.stdout.split('\n').filter((l) => /\bdr\b/.test(l))).toHaveLength(2);
    expect(dr.log).not.toMatch(/fenced by the hub/);
    await dr.stop();
  });

  it('fences an agent that claims the DR site while the host is home', async () => {
    await hub.json(['failover', 'cancel', 'h1', '--confirm', 'h1']);
    const dr = await c.startAgent(hub, 'h1', token, { disk: c.file('h1.img') }, ['--site', 'dr']);
    await waitFor('the DR agent to log its fence', () => dr.log.includes('fenced by the hub'));
    // backups of a host at home are its primary agent's: they wait for it, not run at the DR site
    const r = await hub.run(['backup', 'h1', '--wait', '--timeout', '2s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/waiting: agent of h1 is not connected/);
  });
});
