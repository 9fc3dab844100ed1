// The daily inspection and `drc status --json` from a real hub: what needs attention comes
// first (an agent away, points never verified), every section is there in Markdown and
// HTML, and status carries the overview's figures.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionReport } from '../../src/reports/inspection.js';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk } from './support.js';

describe('inspection report and status', () => {
  const c = new Cluster();
  let hub: HubProc;

  beforeAll(async () => {
    hub = await c.startHub();
    await hub.addHost('away');
    const token = await hub.addHost('h1');
    makeImage(c.file('h1.img'), 2);
    await c.startAgent(hub, 'h1', token, { disk: c.file('h1.img') });
    await backupOk(hub, 'h1', true);
  });
  afterAll(() => c.stop());

  it('lists what needs attention first: an agent away and points never verified', async () => {
    const r = await hub.json<InspectionReport>(['inspect']);
    expect(r.findings).toEqual(expect.arrayContaining(['1 agent(s) not connected: away', '1 host(s) with points never verified: h1']));
    expect(r.agents.map((a) => [a.host, a.link])).toEqual(expect.arrayContaining([['away', 'never'], ['h1', 'connected']]));
    expect(r.lastVerify.find((v) => v.host === 'h1')).toMatchObject({ verifiedAt: null, points: 1 });
  });

  it('writes every section as Markdown by default and as HTML into a file', async () => {
    const md = await hub.run(['inspect']);
    expect(md.code).toBe(0);
    for (const h of ['Needs attention', 'Figures', 'Agents', 'Failed tasks (24 h)', 'Waiting tasks', 'Open alarms', 'Links', 'Credentials near expiry', 'Last verify', 'Outside RPO']) {
      expect(md.stdout).toContain(`## ${h}`);
    }
    const out = c.file('inspection.html');
    const r = await hub.run(['inspect', '--format', 'html', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<li>1 agent(s) not connected: away</li>');
  });

  it('gives the overview figures in status --json', async () => {
    const s = await hub.json<Record<string, unknown>>(['status']);
    expect(s).toMatchObject({
      hosts: { total: 2, connected: 1, never: 1 },
      tasks: { succeeded24h: 1, failed24h: 0, successRate24h: 1, successRate7d: 1 },
      points: 1,
      alarmsByLevel: { info: expect.any(Number), warning: expect.any(Number), critical: expect.any(Number), urgent: expect.any(Number) },
      trend: { last7d: { days: 7 }, last30d: { days: 30 } },
    });
    expect((s.storage as { bytesStored: number }).bytesStored).toBeGreaterThan(0);
    expect(s.throughput).toMatchObject({ nowBytesPerSec: expect.any(Number), lastMinuteBytesPerSec: expect.any(Number) });
  });
});
