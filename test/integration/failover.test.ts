// Failovers through a real hub and agents: refused without the typed host name (and
// audited), fencing the source, a byte-identical restore to the production target, the
// switch hook, and a hub SIGKILLed mid-failover resuming from its last completed step.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/protocol/recovery.js';
import { drc, makeImage, type AgentProc } from '../helpers/cluster.js';
import { Cluster, PinnedHubProc, backupOk, freePort, runSteps, sha256File, waitFor, withCatalog } from './support.js';

function audit(dataDir: string, action: string): { actor: string; target: string; outcome: string; details: string }[] {
  return withCatalog(dataDir, (db) => db.prepare('SELECT actor, target, outcome, details FROM audit WHERE action = ? ORDER BY id').all(action)) as {
    actor: string; target: string; outcome: string; details: string;
  }[];
}

describe('failover on a real hub', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  let port: number;
  const agents = new Map<string, AgentProc>();
  const sha = new Map<string, string>();
  const switchLog = c.file('switch.log');
  const hold = c.file('hold-checks');

  beforeAll(async () => {
    fs.writeFileSync(
      c.file('drc.yaml'),
      [
        'tiers:',
        '  - { name: gold, rpo: 1h, rto: 1h }',
        'checks:',
        // while the hold file exists the post-check waits: the test kills the hub then
        '  - name: image-sane',
        '    type: command',
        `    command: while [ -e ${hold} ]; do sleep 0.1; done; test -s "$DRC_IMAGE"`,
        '    timeout: 60s',
        'recovery:',
        '  switch:',
        `    command: echo "$DRC_HOST $DRC_IMAGE" >> ${switchLog}`,
        '',
      ].join('\n'),
    );
    port = await freePort();
    hub = new PinnedHubProc(c.hubData, port, ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    for (const h of ['h1', 'h2']) {
      const r = await hub.json<{ token: string }>(['hosts', 'add', h, '--tier', 'gold']);
      makeImage(c.file(`${h}.img`), 8);
      agents.set(h, await c.startAgent(hub, h, r.token, { disk: c.file(`${h}.img`) }));
      await backupOk(hub, h, true);
      sha.set(h, sha256File(c.file(`${h}.img`)));
    }
  });

  afterAll(() => c.stop());

  it('refuses without --confirm (exit 2) and with the wrong host name (exit 1), audits both, and changes nothing', async () => {
    const missing = await hub.run(['failover', 'h1', '--point', 'latest', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--confirm h1/);
    const wrong = await hub.run(['failover', 'h1', '--confirm', 'h2', '--json']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not match/);
    const refusals = audit(hub.dataDir, 'failover.start');
    expect(refusals.map((a) => [a.target, a.outcome.split(':')[0]])).toEqual([['h1', 'refused'], ['h1', 'refused']]);
    expect(JSON.parse(refusals[1]!.details)).toMatchObject({ confirm: 'h2' });
    expect(fs.existsSync(path.join(hub.dataDir, 'failover'))).toBe(false);
    const hosts = await hub.json<{ name: string; failedOver: boolean }[]>(['hosts']);
    expect(hosts.every((h) => !h.failedOver)).toBe(true);
  });

  it('fences the source, restores it byte-identical to the production target, runs the switch hook and records every step', async () => {
    const r = await hub.run(['failover', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v).toMatchObject({ kind: 'failover', state: 'completed', verdict: 'pass' });
    const image = path.join(hub.dataDir, 'failover', 'h1', 'h1-disk.img');
    expect(sha256File(image)).toBe(sha.get('h1'));
    expect(fs.readFileSync(switchLog, 'utf8')).toBe(`h1 ${image}\n`);
    const rows = runSteps(hub.dataDir, v.id);
    expect(rows.map((s) => `${s.kind}:${s.state}`)).toEqual(['precheck:succeeded', 'final-sync:succeeded', 'fence:succeeded', 'restore:succeeded', 'checks:succeeded', 'switch:succeeded', 'complete:succeeded']);
    for (const s of rows) expect(Date.parse(s.finished_at!)).toBeGreaterThanOrEqual(Date.parse(s.started_at!));
    expect(v.gates.map((g) => g.name)).toEqual(['point', 'rpo', 'verified', 'target', 'link', 'final-sync']);
    expect(audit(hub.dataDir, 'failover.start').at(-1)).toMatchObject({ target: 'h1', outcome: 'started' });
  });

  it('leaves the source fenced: its agent was told and further backups are refused', async () => {
    await waitFor('the agent to log the fence', () => agents.get('h1')!.log.includes('fenced by the hub'));
    const hosts = await hub.json<{ name: string; failedOver: boolean }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h1')?.failedOver).toBe(true);
    const b = await hub.run(['backup', 'h1', '--wait']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/failed over/);
  });

  it('resumes a failover after the hub is SIGKILLed mid-run and completes without redoing finished steps', async () => {
    fs.writeFileSync(hold, '');
    const cli = drc(['failover', 'h2', '--confirm', 'h2', '--json', '--data', hub.dataDir]);
    const runId = await waitFor('the post-checks of h2 to start', () =>
      withCatalog(hub.dataDir, (db) => db.prepare("SELECT run_id FROM recovery_steps WHERE kind = 'checks' AND state = 'running' AND host = 'h2'").get() as { run_id: number } | undefined)?.run_id,
    );
    const before = runSteps(hub.dataDir, runId);
    await hub.kill9();
    expect((await cli).code).toBe(1);
    fs.rmSync(hold);
    await hub.start();
    await waitFor('the resumed failover to complete', () => withCatalog(hub.dataDir, (db) => (db.prepare('SELECT state FROM recovery_runs WHERE id = ?').get(runId) as { state: string }).state === 'completed'), 30_000);
    const after = runSteps(hub.dataDir, runId);
    expect(after.map((s) => `${s.kind}:${s.state}:${s.attempts}`)).toEqual(['precheck:succeeded:1', 'final-sync:succeeded:1', 'fence:succeeded:1', 'restore:succeeded:1', 'checks:succeeded:2', 'switch:succeeded:1', 'complete:succeeded:1']);
    for (let i = 0; i < 4; i++) expect(after[i]!.started_at).toBe(before[i]!.started_at);
    const image = path.join(hub.dataDir, 'failover', 'h2', 'h2-disk.img');
    expect(sha256File(image)).toBe(sha.get('h2'));
    expect(fs.readFileSync(switchLog, 'utf8').split('\n').filter((l) => l.startsWith('h2 '))).toEqual([`h2 ${image}`]);
    const report = await hub.json<{ id: number; format: string }>(['report', 'export', String(runId), '--format', 'json', '--out', c.file('takeover.json')]);
    expect(report).toMatchObject({ id: runId, format: 'json' });
    const takeover = JSON.parse(fs.readFileSync(c.file('takeover.json'), 'utf8')) as RunView;
    expect(takeover.issues.some((i) => i.includes('interrupted by a hub restart'))).toBe(true);
  });
});
