// Drill and takeover reports carry their audit trail: who started the run (the token's
// operator, not $USER), from where (the unix socket or the TCP peer, and SSH_CLIENT), every
// confirmation typed — the refused one included — and the verdict, each with its time.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryReport } from '../../src/protocol/recovery.js';
import { HubProc, drc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk, freePort } from './support.js';

describe('audit rows in recovery reports', () => {
  const c = new Cluster();
  let hub: HubProc;
  let url = '';
  let alice = '';
  const ssh = '10.9.8.7 50022 22';

  function asAlice(args: string[]) {
    return drc([...args, '--hub', url], { DRC_TOKEN: alice, SSH_CLIENT: ssh, USER: 'mallory' });
  }

  async function exported(id: number, format: 'md' | 'html' | 'json'): Promise<string> {
    const out = c.file(`report-${id}.${format}`);
    const r = await hub.run(['report', 'export', String(id), '--format', format, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    return fs.readFileSync(out, 'utf8');
  }

  beforeAll(async () => {
    const port = await freePort();
    url = `ws://127.0.0.1:${port}`;
    fs.writeFileSync(c.file('drc.yaml'), ['hub:', '  api_token: admin-bootstrap-token-0123456789abcdef', '  listen:', `    api_tcp: 127.0.0.1:${port}`, 'tiers:', '  - { name: gold, rpo: 1h, rto: 1h }', ''].join('\n'));
    hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
    alice = (await hub.json<{ token: string }>(['operators', 'add', 'alice', '--role', 'admin'])).token;
    const token = (await hub.json<{ token: string }>(['hosts', 'add', 'h1', '--tier', 'gold'])).token;
    makeImage(c.file('h1.img'), 4);
    await c.startAgent(hub, 'h1', token, { disk: c.file('h1.img') });
    await backupOk(hub, 'h1', true);
  });

  afterAll(() => c.stop());

  it('a takeover report names the operator token, its TCP address and SSH_CLIENT, and each confirmation typed with its time', async () => {
    const wrong = await asAlice(['failover', 'h1', '--confirm', 'h2', '--json']);
    expect(wrong.code).toBe(1);
    const ok = await asAlice(['failover', 'h1', '--confirm', 'h1', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const id = (JSON.parse(ok.stdout) as { id: number }).id;

    const r = JSON.parse(await exported(id, 'json')) as RecoveryReport;
    const starts = (r.audit ?? []).filter((a) => a.action === 'failover.start');
    expect(starts.map((a) => [a.actor, a.outcome.split(':')[0], a.detail])).toEqual([
      ['operator:alice', 'refused', 'typed "h2"'],
      ['operator:alice', 'started', expect.stringContaining('typed "h1"')],
    ]);
    for (const a of starts) {
      expect(a.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(a.ssh).toBe(ssh);
      expect(Date.parse(a.time)).toBeGreaterThan(0);
    }
    expect(Date.parse(starts[0]!.time)).toBeLessThanOrEqual(Date.parse(starts[1]!.time));
    expect(JSON.stringify(r.audit)).not.toContain('mallory');

    const md = await exported(id, 'md');
    expect(md).toMatch(/started by operator:alice from TCP 127\.0\.0\.1:\d+ \(ssh 10\.9\.8\.7 50022 22\) at \d{4}-/);
    expect(md).toContain('## Audit trail');
    expect(md).toMatch(/\| operator:alice \| TCP 127\.0\.0\.1:\d+ \(ssh 10\.9\.8\.7 50022 22\) \| failover\.start \| refused: .* \| typed "h2" \|/);
    const html = await exported(id, 'html');
    expect(html).toContain('<h2>Audit trail</h2>');
    expect(html).toContain('typed &quot;h1&quot;');
  });

  it('a drill report started on the unix socket says so, with the verdict given afterwards', async () => {
    const started = await hub.run(['drill', 'h1', '--yes', '--json']);
    expect(started.code, started.stderr).toBe(0);
    // --yes skips the question, not the forecast
    expect(started.stderr).toMatch(/^drill: RTO forecast /m);
    const d = JSON.parse(started.stdout) as { id: number };
    const v = await hub.run(['drill', 'verdict', String(d.id), 'fail', '--notes', 'login page broken']);
    expect(v.code, v.stderr).toBe(0);
    const r = JSON.parse(await exported(d.id, 'json')) as RecoveryReport;
    const trail = (r.audit ?? []).map((a) => [a.action, a.address, a.outcome]);
    expect(trail).toEqual([
      ['drill.start', 'unix', 'started'],
      ['drill.verdict', 'unix', 'fail'],
    ]);
    expect(r.audit?.[0]?.actor).toMatch(/^uid:\d+$/);
    expect(r.audit?.[1]?.detail).toBe('notes: login page broken');
    expect(await exported(d.id, 'md')).toMatch(/started by uid:\d+ from unix socket at /);
  });

  it("a second drill of the same host is credited to its own start, not to the earlier run's", async () => {
    const first = JSON.parse((await hub.run(['drill', 'h1', '--yes', '--json'])).stdout) as { id: number };
    const second = await hub.run(['drill', 'h1', '--yes', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const id = (JSON.parse(second.stdout) as { id: number }).id;
    expect(id).toBeGreaterThan(first.id);
    const r = JSON.parse(await exported(id, 'json')) as RecoveryReport;
    const starts = (r.audit ?? []).filter((a) => a.action === 'drill.start');
    expect(starts).toHaveLength(1);
    const md = await exported(id, 'md');
    expect(md).toContain(`started by ${starts[0]!.actor} from unix socket at ${starts[0]!.time}`);
    // the start row is this run's: at or after the earlier run's end
    const earlier = JSON.parse(await exported(first.id, 'json')) as RecoveryReport;
    expect(Date.parse(starts[0]!.time)).toBeGreaterThanOrEqual(Date.parse(earlier.audit![0]!.time));
    expect(starts[0]!.time).not.toBe(earlier.audit![0]!.time);
  });
});
