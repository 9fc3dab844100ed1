// Two agents of one host through a real hub: while the host is failed over, its primary agent
// (fenced) and an agent at the DR site on the recovered image stay connected side by side;
// backups land on the DR-side chain, the failback writes home through the primary agent, and
// the DR agent is fenced once the host is home. A reconnect replaces only its own site's link.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentLinkView, HostView } from '../../src/protocol/operator.js';
import type { RunView } from '../../src/protocol/recovery.js';
import { AgentProc, makeImage, rewriteBlocks, type HubProc } from '../helpers/cluster.js';
import { Cluster, backupOk, points, sha256File, waitFor } from './support.js';

describe('a host with a primary and a DR-site agent', () => {
  const c = new Cluster();
  let hub: HubProc;
  let token: string;
  let source: AgentProc;
  let dr: AgentProc;
  const image = () => path.join(hub.dataDir, 'failover', 'h1', 'h1-disk.img');

  async function agents(): Promise<AgentLinkView[]> {
    const h = (await hub.json<HostView[]>(['hosts'])).find((x) => x.name === 'h1');
    return h?.agents ?? [];
  }

  function agentAt(site: string, disk: string, dataDir: string): AgentProc {
    const a = new AgentProc(hub.agentsUrl, 'h1', token, { disk }, c.file(dataDir), ['--watch', '0', '--site', site]);
    c.agents.push(a);
    return a.start();
  }

  beforeAll(async () => {
    hub = await c.startHub();
    token = await hub.addHost('h1');
    makeImage(c.file('h1.img'), 4);
    source = await c.startAgent(hub, 'h1', token, { disk: c.file('h1.img') });
    await backupOk(hub, 'h1', true);
  });

  afterAll(() => c.stop());

  it('keeps both agents connected through a failover, backs up at the DR site, fails back through the primary and fences the DR agent after', async () => {
    await hub.json(['failover', 'h1', '--confirm', 'h1', '--no-final-sync']);
    await waitFor('the source agent to log its fence', () => source.log.includes('fenced by the hub'));
    dr = agentAt('dr', image(), 'agent-h1-dr');
    const both = await waitFor('both agents listed connected', async () => {
      const a = await agents();
      return a.length === 2 ? a : null;
    });
    expect(both.map((a) => [a.site, a.connected, a.serving])).toEqual([['primary', true, false], ['dr', true, true]]);
    expect(source.log).not.toMatch(/disconnected/);

    // a backup while failed over goes to the DR agent: the DR-side chain grows
    const drBlocks = rewriteBlocks(image(), 3);
    await backupOk(hub, 'h1');
    const during = await points(hub, 'h1');
    expect(during.map((p) => [p.site, p.type])).toEqual([['primary', 'full'], ['dr', 'full']]);
    expect(dr.log).not.toMatch(/fenced by the hub/);

    // the failback writes through the primary agent while the DR agent stays connected
    rewriteBlocks(c.file('h1.img'), 1);
    const r = await hub.run(['failback', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout) as RunView).toMatchObject({ kind: 'failback', state: 'completed', verdict: 'pass' });
    expect(sha256File(c.file('h1.img'))).toBe(sha256File(image()));
    expect(drBlocks.length).toBe(3);
    const home = (await hub.json<HostView[]>(['hosts'])).find((x) => x.name === 'h1')!;
    expect(home.failedOver).toBe(false);
    await waitFor('the source agent to log the un-fence', () => source.log.includes('unfenced by the hub'));
    await waitFor('the DR agent to log its fence', () => dr.log.includes('fenced by the hub'));
    expect((await agents()).map((a) => [a.site, a.serving])).toEqual([['primary', true], ['dr', false]]);
    expect(source.log).not.toMatch(/disconnected/);
    expect(dr.log).not.toMatch(/disconnected/);

    // home again: the next backup is the source's, an incremental on the primary chain
    await backupOk(hub, 'h1');
    expect((await points(hub, 'h1')).at(-1)).toMatchObject({ site: 'primary', type: 'incremental' });
  });

  it('replaces only the link of the site that reconnects', async () => {
    const drSince = (await agents()).find((a) => a.site === 'dr')!.since;
    const second = agentAt('primary', c.file('h1.img'), 'agent-h1-second');
    await waitFor('the first primary agent to be replaced', () => /disconnected \(4003/.test(source.log));
    await second.stop();
    await waitFor('the first primary agent back', async () => (await agents()).some((a) => a.site === 'primary'));
    const now = await agents();
    expect(now.map((a) => a.site)).toEqual(['primary', 'dr']);
    expect(now.find((a) => a.site === 'dr')!.since).toBe(drSince);
    expect(dr.log).not.toMatch(/disconnected/);
  });

  it('hands the backups to a DR agent already connected when the host fails over again', async () => {
    const before = (dr.log.match(/unfenced by the hub/g) ?? []).length;
    await hub.json(['failover', 'h1', '--confirm', 'h1', '--no-final-sync']);
    await waitFor('the DR agent to log its un-fence', () => (dr.log.match(/unfenced by the hub/g) ?? []).length > before);
    await backupOk(hub, 'h1');
    expect((await points(hub, 'h1')).at(-1)).toMatchObject({ site: 'dr' });
    expect((await agents()).map((a) => [a.site, a.serving])).toEqual([['primary', false], ['dr', true]]);
  });
});
