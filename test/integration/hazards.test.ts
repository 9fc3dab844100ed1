// Nothing destructive happens by default: a restore does not overwrite an existing file
// without --force, `drill cleanup` with no run id removes nothing unless told --all (or
// answered y on a terminal), and a failover whose verdict is fail exits 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillArtefactView, RunView } from '../../src/protocol/recovery.js';
import { DRC, HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk, sha256File } from './support.js';

describe('no hazards by default', () => {
  const c = new Cluster();
  let hub: HubProc;
  let image = '';

  beforeAll(async () => {
    // objectives no run can meet: every drill and failover here ends with verdict fail
    fs.writeFileSync(
      c.file('drc.yaml'),
      ['tiers:', '  - { name: tight, rpo: 1s, rto: 1s }', 'checks:', '  - name: slow', '    type: command', '    command: sleep 1.2', ''].join('\n'),
    );
    hub = await c.startHub(new HubProc(c.hubData, ['--config', c.file('drc.yaml')]));
    const r = await hub.json<{ token: string }>(['hosts', 'add', 'h1', '--tier', 'tight']);
    image = c.file('h1.img');
    makeImage(image, 4);
    await c.startAgent(hub, 'h1', r.token, { disk: image });
    await backupOk(hub, 'h1', true);
  });
  afterAll(() => c.stop());

  it('refuses to restore over an existing file without --force, and leaves it as it was', async () => {
    const to = c.file('precious.img');
    fs.writeFileSync(to, 'do not lose me');
    const r = await hub.run(['restore', 'h1', '--volume', 'disk', '--point', 'latest', '--to', to]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`drc: ${to} already exists; give --force to overwrite it\n`);
    expect(fs.readFileSync(to, 'utf8')).toBe('do not lose me');
    const forced = await hub.run(['restore', 'h1', '--volume', 'disk', '--point', 'latest', '--to', to, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(sha256File(to)).toBe(sha256File(image));
  });

  it('removes no drill artefacts on a bare `drill cleanup` without a terminal, and all of them with --all', async () => {
    const d = await hub.run(['drill', 'h1', '--yes', '--json']);
    const run = JSON.parse(d.stdout) as RunView;
    expect(run.state).toBe('completed');
    const bare = await hub.run(['drill', 'cleanup']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe('drc: drill cleanup: give a run ID, --expired or --all (nothing was removed)\n');
    expect(fs.existsSync(run.target.dir)).toBe(true);
    const left = await hub.json<DrillArtefactView[]>(['drill', 'list']);
    expect(left.map((x) => x.runId)).toContain(run.id);
    // on a terminal it asks, listing what would go; anything but y removes nothing
    const cmd = [process.execPath, DRC, 'drill', 'cleanup', '--data', hub.dataDir].map((x) => `'${x}'`).join(' ');
    const asked = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: 'n\n', encoding: 'utf8', timeout: 20_000 });
    expect(asked.stdout).toContain(`drill ${run.id} (h1): ${run.target.dir}`);
    expect(asked.stdout).toMatch(/Remove the artefacts of all 1 drill\(s\) above\? \[y\/N\]/);
    expect(asked.stdout).toContain('drc: drill cleanup: not confirmed; nothing was removed');
    expect(asked.status).toBe(1);
    expect(fs.existsSync(run.target.dir)).toBe(true);
    const all = await hub.json<DrillArtefactView[]>(['drill', 'cleanup', '--all']);
    expect(all.map((x) => x.runId)).toEqual([run.id]);
    expect(fs.existsSync(run.target.dir)).toBe(false);
  });

  it('exits 1 when a failover completes with verdict fail', async () => {
    const r = await hub.run(['failover', 'h1', '--confirm', 'h1', '--json']);
    const run = JSON.parse(r.stdout) as RunView;
    expect(run).toMatchObject({ kind: 'failover', state: 'completed', verdict: 'fail' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^drc: failover run ${run.id} completed with verdict FAIL \\(RTO missed`));
  });
});
