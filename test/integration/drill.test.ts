// Drills through a real hub and two agents: byte-identical restores into an isolated
// target, checks, RTO/RPO against the tier, reports in three formats, TTL cleanup, and
// production (the source images and the failover target) never touched.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmView } from '../../src/protocol/operator.js';
import type { RecoveryReport, ReportSummary, RunView } from '../../src/protocol/recovery.js';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk, sha256File, waitFor, withCatalog } from './support.js';

describe('drills on a real hub', () => {
  const c = new Cluster();
  let hub: HubProc;
  const sha = new Map<string, string>();
  let drill: RunView;

  beforeAll(async () => {
    fs.writeFileSync(
      c.file('drc.yaml'),
      [
        'tiers:',
        '  - { name: gold, rpo: 1h, rto: 1h }',
        'checks:',
        '  - name: image-sane',
        '    type: command',
        `    command: test -s "$DRC_IMAGE" && test ! -e ${c.file('break-check')}`,
        '    timeout: 10s',
        'alarms:',
        '  - { name: start-failed, event: host_start_failed, result: Failed, level: critical }',
        '',
      ].join('\n'),
    );
    hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
    for (const h of ['h1', 'h2']) {
      const r = await hub.json<{ token: string }>(['hosts', 'add', h, '--tier', 'gold']);
      makeImage(c.file(`${h}.img`), 8);
      await c.startAgent(hub, h, r.token, { disk: c.file(`${h}.img`) });
      await backupOk(hub, h, true);
      sha.set(h, sha256File(c.file(`${h}.img`)));
    }
  });

  afterAll(() => c.stop());

  it('restores both hosts byte-identical into the drill directory and passes with RTO and RPO within the tier', async () => {
    const r = await hub.run(['drill', 'h1', 'h2', '--point', 'latest', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    drill = JSON.parse(r.stdout) as RunView;
    expect(drill).toMatchObject({ kind: 'drill', state: 'completed', verdict: 'pass', verdictBy: 'checks' });
    expect(drill.target.dir).toBe(path.join(hub.dataDir, 'drills', String(drill.id)));
    for (const h of ['h1', 'h2']) expect(sha256File(path.join(drill.target.dir, `${h}-disk.img`))).toBe(sha.get(h));
    expect(drill.rto).toMatchObject({ targetSeconds: 3600, pass: true });
    expect(drill.rto.actualSeconds).toBeGreaterThan(0);
    expect(drill.rpo).toMatchObject({ targetSeconds: 3600, pass: true });
    expect(drill.rpo.actualSeconds).toBeGreaterThan(0);
    expect(drill.hosts.map((h) => h.rto.pass)).toEqual([true, true]);
  });

  it('runs the digest and the configured check on each host, each with its timing', () => {
    const checks = drill.steps.flatMap((s) => s.checks);
    expect(checks.map((x) => `${x.host}:${x.name}:${x.status}`).sort()).toEqual(['h1:digest:pass', 'h1:image-sane:pass', 'h2:digest:pass', 'h2:image-sane:pass']);
    for (const x of checks) expect(Date.parse(x.finishedAt)).toBeGreaterThanOrEqual(Date.parse(x.startedAt));
  });

  it('records every step with its start and end in the catalog', () => {
    const rows = withCatalog(hub.dataDir, (db) => db.prepare('SELECT kind, state, started_at, finished_at FROM recovery_steps WHERE run_id = ? ORDER BY idx').all(drill.id)) as {
      kind: string; state: string; started_at: string | null; finished_at: string | null;
    }[];
    expect(rows.map((x) => x.kind)).toEqual(['prepare', 'restore', 'checks', 'restore', 'checks', 'complete']);
    for (const x of rows) {
      expect(x.state).toBe('succeeded');
      expect(Date.parse(x.finished_at!)).toBeGreaterThanOrEqual(Date.parse(x.started_at!));
    }
  });

  it('leaves production alone: the source images are unchanged and nothing is written to the failover target', () => {
    for (const h of ['h1', 'h2']) expect(sha256File(c.file(`${h}.img`))).toBe(sha.get(h));
    expect(fs.existsSync(path.join(hub.dataDir, 'failover'))).toBe(false);
  });

  it('lists the drill as a report and exports it as Markdown, HTML and JSON with the measured figures', async () => {
    const list = await hub.json<ReportSummary[]>(['report', 'list']);
    expect(list.find((x) => x.id === drill.id)).toMatchObject({ kind: 'drill', hosts: ['h1', 'h2'], verdict: 'pass' });
    for (const f of ['md', 'html', 'json']) {
      const r = await hub.run(['report', 'export', String(drill.id), '--format', f, '--out', c.file(`report.${f}`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    const json = JSON.parse(fs.readFileSync(c.file('report.json'), 'utf8')) as RecoveryReport;
    expect(json.rto).toEqual(drill.rto);
    expect(json.checks).toHaveLength(4);
    const md = fs.readFileSync(c.file('report.md'), 'utf8');
    const rto = `${drill.rto.actualSeconds!.toFixed(drill.rto.actualSeconds! < 10 ? 1 : 0)} s`;
    expect(md).toContain(`| RTO (start → restored and checked) | ${rto} | 1 h 0 min | PASS |`);
    const html = fs.readFileSync(c.file('report.html'), 'utf8');
    expect(html).toContain(rto);
    expect(html).toContain('<svg');
  });

  it('fails the drill when a check fails, and shows the failed check in the checklist and the report', async () => {
    fs.writeFileSync(c.file('break-check'), '');
    try {
      const r = await hub.run(['drill', 'h1', '--yes', '--json']);
      expect(r.code).toBe(1);
      const v = JSON.parse(r.stdout) as RunView;
      expect(v).toMatchObject({ state: 'completed', verdict: 'fail' });
      expect(v.steps.find((s) => s.kind === 'checks')).toMatchObject({ state: 'failed' });
      expect(v.steps.flatMap((s) => s.checks).find((x) => x.name === 'image-sane')).toMatchObject({ status: 'fail' });
      await hub.run(['report', 'export', String(v.id), '--format', 'md', '--out', c.file('failed.md')]);
      expect(fs.readFileSync(c.file('failed.md'), 'utf8')).toMatch(/\| h1 \| - \| image-sane \| command \| FAIL \|/);
    } finally {
      fs.rmSync(c.file('break-check'));
    }
  });

  it('raises the start-host-failed alarm for a failed drill, and a passing drill of the host resolves it', async () => {
    const startFailed = async () => (await hub.json<AlarmView[]>(['alarms'])).filter((a) => a.rule === 'start-failed' && a.host === 'h1');
    const open = await waitFor('the start-failed alarm of h1', async () => (await startFailed()).find((a) => a.state === 'firing'));
    expect(open.level).toBe('critical');
    const r = await hub.run(['drill', 'h1', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'pass' });
    const resolved = await waitFor('the start-failed alarm of h1 resolved', async () => (await startFailed()).find((a) => a.id === open.id && a.state === 'resolved'));
    expect(resolved.resolvedBy).not.toBeNull();
  });

  it('refuses to start without --yes when there is no terminal to confirm on', async () => {
    const before = (await hub.json<ReportSummary[]>(['report', 'list'])).length;
    const r = await hub.run(['drill', 'h1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(await hub.json<ReportSummary[]>(['report', 'list'])).toHaveLength(before);
  });

  it('removes drill artefacts by itself once their TTL has passed', async () => {
    const r = await hub.run(['drill', 'h2', '--ttl', '2s', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as RunView;
    expect(fs.existsSync(v.target.dir)).toBe(true);
    await waitFor('the expired drill directory to be removed', () => !fs.existsSync(v.target.dir), 15_000);
    const all = await hub.json<{ runId: number; cleanedAt: string | null }[]>(['drill', 'list', '--all']);
    expect(all.find((x) => x.runId === v.id)?.cleanedAt).not.toBeNull();
  });

  it('lists leftover drill directories and removes one on demand', async () => {
    const left = await hub.json<{ runId: number; dir: string }[]>(['drill', 'list']);
    expect(left.map((x) => x.runId)).toContain(drill.id);
    const removed = await hub.json<{ runId: number }[]>(['drill', 'cleanup', String(drill.id)]);
    expect(removed.map((x) => x.runId)).toEqual([drill.id]);
    expect(fs.existsSync(drill.target.dir)).toBe(false);
    expect((await hub.json<{ runId: number }[]>(['drill', 'list'])).map((x) => x.runId)).not.toContain(drill.id);
  });
});
