// Faults that end cleanly: an agent frozen (SIGSTOP) mid-backup while the hub still trusts its
// link is failed by the watchdog with a one-line reason, the host's job slot is free at once,
// no partial point or pack is left, and the agent backs up again once it thaws; rejected agent
// logins from one source are written a few times a window and then summarised.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/agent.js';
import { HubProc, type AgentProc } from '../helpers/cluster.js';
import { Cluster, backupOk, jobRow, packFilesOnDisk, points, randomImage, restoredSha, sha256File, storeConsistency, waitFor, withCatalog, type JobView } from './support.js';

const c = new Cluster();
let hub: HubProc;
let agent: AgentProc;
let image: string;
let firstSha: string;

beforeAll(async () => {
  const cfg = c.file('drc.yaml');
  // the link stays trusted (heartbeats are not checked for minutes): only the watchdog can end the job
  fs.writeFileSync(cfg, ['hub:', '  heartbeat_timeout: 10m', 'maintenance:', '  stall_timeout: 8s', ''].join('\n'));
  hub = await c.startHub(new HubProc(c.hubData, ['--config', cfg]));
  const token = await hub.addHost('h1');
  image = c.file('disk.img');
  randomImage(image, 96);
  agent = await c.startAgent(hub, 'h1', token, { disk: image });
  await backupOk(hub, 'h1', true);
  firstSha = sha256File(image);
}, 60_000);

afterAll(() => c.stop());

describe('the job watchdog', () => {
  let job: JobView;
  let failedAfterMs = 0;

  it('fails a backup whose agent froze mid-transfer, in one line naming the watchdog', async () => {
    // new data throughout: the transfer runs long enough to be caught by its first new pack file
    randomImage(image, 96);
    const packs = packFilesOnDisk(hub.dataDir).length;
    job = await hub.json<JobView>(['backup', 'h1']);
    await waitFor('the transfer to start', () => packFilesOnDisk(hub.dataDir).length > packs, 30_000);
    agent.proc.kill('SIGSTOP');
    const t0 = Date.now();
    const row = await waitFor('the watchdog to fail the job', () => {
      const r = jobRow(hub.dataDir, job.id);
      return r.state !== 'running' && r;
    }, 20_000);
    failedAfterMs = Date.now() - t0;
    expect(row.state).toBe('failed');
    expect(row.error).toMatch(/^no progress for \d+ s \(watchdog: maintenance\.stall_timeout 8 s\)$/);
    expect(failedAfterMs).toBeLessThan(20_000);
  }, 30_000);

  it('frees the host\'s slot at once: a restore of the same host runs while the agent is still frozen', async () => {
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('r1.img'))).toBe(firstSha);
  }, 30_000);

  it('leaves no partial point and no pack outside the catalog', async () => {
    expect(await points(hub, 'h1')).toHaveLength(1);
    const s = storeConsistency(hub.dataDir);
    expect(s.onDisk).toEqual(s.registered);
    expect(s.danglingChunks).toBe(0);
  });

  it('backs up and restores byte-identical once the agent thaws', async () => {
    agent.proc.kill('SIGCONT');
    const next = await waitFor('a backup after the thaw', async () => {
      const r = await hub.run(['backup', 'h1', '--wait', '--json']);
      const j = r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as JobView) : null;
      return j?.state === 'succeeded' && j;
    }, 40_000);
    expect(next.state).toBe('succeeded');
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('r2.img'))).toBe(sha256File(image));
  }, 60_000);
});

describe('rejected agent logins', () => {
  function reject(): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${hub.agentsUrl}/agent`, {
        headers: { 'x-drc-protocol': String(PROTOCOL_VERSION), 'x-drc-host': 'h1', authorization: 'Bearer drc_wrong' },
        perMessageDeflate: false,
        handshakeTimeout: 5000,
      });
      ws.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.once('error', () => resolve(0));
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
    });
  }

  it('writes only the first few of 400 rejections from one source, and the hub keeps serving', async () => {
    const count = () =>
      withCatalog(hub.dataDir, (db) => ({
        audit: (db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'agent.connect' AND outcome = 'rejected'").get() as { n: number }).n,
        events: (db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'agent.auth.rejected'").get() as { n: number }).n,
      }));
    const before = count();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => reject()))));
    expect(statuses.filter((s) => s === 401)).toHaveLength(400);
    const after = count();
    expect(after.audit - before.audit).toBeLessThanOrEqual(10);
    expect(after.events - before.events).toBeLessThanOrEqual(10);
    expect((await hub.json<{ name: string }[]>(['hosts'])).map((h) => h.name)).toContain('h1');
  }, 60_000);
});
