// The way back through a real hub and real agents: a failover's final sync keeps a write made
// just before it (with the agent's quiesce hooks around it), failback sends home only the
// blocks that differ and leaves the source byte-identical to the DR image, the schedule goes
// on with an incremental, a hub SIGKILLed mid-failback resumes, a failed failback leaves the
// host failed over and can be retried, and a failover can be cancelled without failback.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryReport, RunView } from '../../src/protocol/recovery.js';
import { drc, makeImage, rewriteBlocks, type AgentProc } from '../helpers/cluster.js';
import { Cluster, PinnedHubProc, backupOk, freePort, points, runSteps, sha256File, waitFor, withCatalog } from './support.js';

const BLOCK = 65536;

function writeAt(file: string, offset: number, text: string): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from(text), 0, text.length, offset);
  fs.closeSync(fd);
}

describe('the way back on a real hub', () => {
  const c = new Cluster();
  let hub: PinnedHubProc;
  const agents = new Map<string, AgentProc>();
  const switchLog = c.file('switch.log');
  const freezeLog = c.file('freeze.log');
  const hold = c.file('hold-switch');
  const image = (h: string) => path.join(hub.dataDir, 'failover', h, `${h}-disk.img`);

  beforeAll(async () => {
    fs.writeFileSync(
      c.file('drc.yaml'),
      [
        'tiers:',
        '  - { name: gold, rpo: 1h, rto: 1h }',
        'recovery:',
        '  switch:',
        // while the hold file exists a failback's switch waits: the test kills the hub then
        `    command: while [ "$DRC_DIRECTION" = failback ] && [ -e ${hold} ]; do sleep 0.1; done; echo "$DRC_DIRECTION $DRC_HOST" >> ${switchLog}`,
        '    timeout: 60s',
        '',
      ].join('\n'),
    );
    hub = new PinnedHubProc(c.hubData, await freePort(), ['--config', c.file('drc.yaml')]);
    await c.startHub(hub);
    for (const h of ['h1', 'h2', 'h3']) {
      const r = await hub.json<{ token: string }>(['hosts', 'add', h, '--tier', 'gold']);
      makeImage(c.file(`${h}.img`), 4);
      const hooks = ['--pre-freeze', `echo "freeze $DRC_HOOK" >> ${freezeLog}`, '--post-thaw', `echo "thaw $DRC_HOOK" >> ${freezeLog}`];
      agents.set(h, await c.startAgent(hub, h, r.token, { disk: c.file(`${h}.img`) }, h === 'h1' ? hooks : []));
      await backupOk(hub, h, true);
    }
  });

  afterAll(() => c.stop());

  it('keeps a write acknowledged just before the failover: the final sync runs quiesced and the RPO achieved is 0', async () => {
    writeAt(c.file('h1.img'), 4096, 'acknowledged just before the failover');
    const r = await hub.run(['failover', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/final sync possible: yes/);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v.steps.map((s) => `${s.kind}:${s.state}`).slice(0, 3)).toEqual(['precheck:succeeded', 'final-sync:succeeded', 'fence:succeeded']);
    expect(sha256File(image('h1'))).toBe(sha256File(c.file('h1.img')));
    expect(v.rpo.actualSeconds).toBe(0);
    expect(fs.readFileSync(freezeLog, 'utf8')).toBe('freeze pre_freeze\nthaw post_thaw\n');
    const rep = await hub.json<{ id: number }>(['report', 'export', String(v.id), '--format', 'json', '--out', c.file('takeover.json')]);
    expect(rep.id).toBe(v.id);
    expect((JSON.parse(fs.readFileSync(c.file('takeover.json'), 'utf8')) as RecoveryReport).wayBack).toMatchObject({ finalSync: 'ran' });
  });

  it('skips the final sync with --no-final-sync: the image is the last point and the write after it stays behind', async () => {
    writeAt(c.file('h3.img'), 4096, 'written after the last point');
    const r = await hub.run(['failover', 'h3', '--confirm', 'h3', '--no-final-sync', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/final sync possible: skipped/);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v.steps.find((s) => s.kind === 'final-sync')?.state).toBe('skipped');
    expect(fs.readFileSync(image('h3')).subarray(4096, 4096 + 28).toString()).not.toBe('written after the last point');
  });

  it('refuses a failback without the typed host name (exit 2) or with the wrong one (exit 1), and audits both', async () => {
    expect((await hub.run(['failback', 'h1'])).code).toBe(2);
    const wrong = await hub.run(['failback', 'h1', '--confirm', 'h2']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not match/);
    const rows = withCatalog(hub.dataDir, (db) => db.prepare("SELECT outcome FROM audit WHERE action = 'failback.start' ORDER BY id").all()) as { outcome: string }[];
    expect(rows.map((x) => x.outcome.split(':')[0])).toEqual(['refused', 'refused']);
  });

  it('brings DR-side writes home: only the union of changed blocks is hashed and travels, the source equals the DR image, and the next backup is an incremental', async () => {
    const drBlocks = rewriteBlocks(image('h1'), 3);
    const srcBlocks = rewriteBlocks(c.file('h1.img'), 2);
    const union = new Set([...drBlocks, ...srcBlocks]).size;
    const r = await hub.run(['failback', 'h1', '--confirm', 'h1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/to send: /);
    const v = JSON.parse(r.stdout) as RunView;
    expect(v).toMatchObject({ kind: 'failback', state: 'completed', verdict: 'pass' });
    expect(v.steps.map((s) => s.kind)).toEqual(['precheck', 'reverse-sync', 'cutover', 'checks', 'switch', 'unfence', 'complete']);
    expect(sha256File(c.file('h1.img'))).toBe(sha256File(image('h1')));
    expect(fs.readFileSync(switchLog, 'utf8')).toContain('failback h1\n');
    await hub.json(['report', 'export', String(v.id), '--format', 'json', '--out', c.file('failback.json')]);
    const rep = JSON.parse(fs.readFileSync(c.file('failback.json'), 'utf8')) as RecoveryReport;
    expect(rep.title).toMatch(/Failback report/);
    expect(rep.wayBack?.blocksSent).toBe(union);
    expect(rep.wayBack?.bytesSent).toBe(union * BLOCK);
    // only the union of both sides' changes was compared: the source hashed those blocks (reverse sync and cut-over), not its 64
    expect(rep.wayBack?.unionBlocks).toBe(union);
    expect(rep.wayBack?.sourceHashedBlocks).toBeLessThanOrEqual(2 * union);
    expect(rep.wayBack?.downtimeSeconds).not.toBeNull();
    const hosts = await hub.json<{ name: string; failedOver: boolean }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h1')?.failedOver).toBe(false);
    await waitFor('the agent to log the un-fence', () => agents.get('h1')!.log.includes('unfenced by the hub'));
    const before = (await points(hub, 'h1')).length;
    const job = await backupOk(hub, 'h1');
    const after = await points(hub, 'h1');
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)!.type).toBe('incremental');
    expect(job.bytesNew).toBeLessThan(fs.statSync(c.file('h1.img')).size / 2);
  });

  it('leaves a failed failback failed over with the reason, and a retry succeeds', async () => {
    await hub.json(['failover', 'h2', '--confirm', 'h2']);
    fs.truncateSync(c.file('h2.img'), 4 * 1024 * 1024 + BLOCK);
    const bad = await hub.run(['failback', 'h2', '--confirm', 'h2', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/stays failed over/);
    const hosts = await hub.json<{ name: string; failedOver: boolean }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h2')?.failedOver).toBe(true);
    fs.truncateSync(c.file('h2.img'), 4 * 1024 * 1024);
    const ok = await hub.run(['failback', 'h2', '--confirm', 'h2', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(sha256File(c.file('h2.img'))).toBe(sha256File(image('h2')));
  });

  it('resumes a failback after the hub is SIGKILLed mid-run and un-fences without redoing finished steps', async () => {
    await hub.json(['failover', 'h2', '--confirm', 'h2']);
    rewriteBlocks(image('h2'), 2);
    fs.writeFileSync(hold, '');
    const cli = drc(['failback', 'h2', '--confirm', 'h2', '--json', '--data', hub.dataDir]);
    const runId = await waitFor('the failback switch of h2 to start', () =>
      withCatalog(hub.dataDir, (db) => db.prepare("SELECT s.run_id FROM recovery_steps s JOIN recovery_runs r ON r.id = s.run_id WHERE r.kind = 'failback' AND s.kind = 'switch' AND s.state = 'running' AND s.host = 'h2'").get() as { run_id: number } | undefined)?.run_id,
    );
    const before = runSteps(hub.dataDir, runId);
    await hub.kill9();
    expect((await cli).code).toBe(1);
    fs.rmSync(hold);
    await hub.start();
    await waitFor('the resumed failback to complete', () => withCatalog(hub.dataDir, (db) => (db.prepare('SELECT state FROM recovery_runs WHERE id = ?').get(runId) as { state: string }).state === 'completed'), 30_000);
    const after = runSteps(hub.dataDir, runId);
    expect(after.map((s) => `${s.kind}:${s.state}:${s.attempts}`)).toEqual([
      'precheck:succeeded:1', 'reverse-sync:succeeded:1', 'cutover:succeeded:1', 'checks:succeeded:1', 'switch:succeeded:2', 'unfence:succeeded:1', 'complete:succeeded:1',
    ]);
    for (let i = 0; i < 4; i++) expect(after[i]!.started_at).toBe(before[i]!.started_at);
    expect(sha256File(c.file('h2.img'))).toBe(sha256File(image('h2')));
    const hosts = await hub.json<{ name: string; failedOver: boolean }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h2')?.failedOver).toBe(false);
  });

  it('cancels a failover without failback: confirm required, the host is un-fenced and replicates from its last committed generation', async () => {
    // the hub was restarted by the test before: h3's agent reconnects on its own
    await waitFor('h3 connected', async () => (await hub.json<{ name: string; link: string }[]>(['hosts'])).find((h) => h.name === 'h3')?.link === 'connected', 30_000);
    expect((await hub.run(['failover', 'cancel', 'h3'])).code).toBe(2);
    expect((await hub.run(['failover', 'cancel', 'h3', '--confirm', 'h1'])).code).toBe(1);
    const r = await hub.json<{ host: string; agentTold: boolean }>(['failover', 'cancel', 'h3', '--confirm', 'h3']);
    expect(r).toEqual({ host: 'h3', agentTold: true });
    await waitFor('the agent to log the un-fence', () => agents.get('h3')!.log.includes('unfenced by the hub'));
    await backupOk(hub, 'h3');
    expect((await points(hub, 'h3')).at(-1)!.type).toBe('incremental');
    expect((await hub.run(['failover', 'cancel', 'h3', '--confirm', 'h3'])).code).toBe(1);
  });
});
