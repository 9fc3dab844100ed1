// Alarms end to end on loopback: a real hub with a webhook channel and a real agent.
// Killing the agent raises host-disconnected, which is delivered, acknowledged and
// resolved from the CLI (audited), and resolves itself when the agent is back.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/client/api-client.js';
import type { AlarmView } from '../../src/protocol/operator.js';
import { AgentProc, HubProc, makeImage } from '../helpers/cluster.js';
import { HttpReceiver } from '../helpers/receivers.js';
import { Cluster, waitFor, withCatalog } from './support.js';

interface Notice {
  kind: string;
  alarm: AlarmView;
}

const cluster = new Cluster();
let hook: HttpReceiver;
let hub: HubProc;
let token: string;
let agent: AgentProc;
const image = cluster.file('disk.img');

const alarms = (): Promise<AlarmView[]> => hub.json<AlarmView[]>(['alarms']);
const notices = (): Notice[] => hook.requests.filter((r) => r.url === '/hook').map((r) => JSON.parse(r.body) as Notice);
const audit = (action: string) =>
  withCatalog(hub.dataDir, (db) => db.prepare('SELECT actor, target, outcome, details FROM audit WHERE action = ? ORDER BY id').all(action) as { actor: string; target: string; details: string }[]);

async function startAgent(): Promise<void> {
  agent = await cluster.startAgent(hub, 'h1', token, { disk: image }, ['--metrics', '1']);
}

async function openDisconnect(): Promise<AlarmView> {
  return waitFor('an open host-disconnected alarm', async () => (await alarms()).find((a) => a.rule === 'host-disconnected' && a.state !== 'resolved'), 15_000);
}

beforeAll(async () => {
  hook = await new HttpReceiver().start();
  const config = cluster.file('drc.yaml');
  fs.writeFileSync(config, `channels:\n  - name: ops-hook\n    type: webhook\n    url: ${hook.url}/hook\n`);
  hub = await cluster.startHub(new HubProc(cluster.hubData, ['--config', config]));
  makeImage(image, 4);
  token = await hub.addHost('h1');
  await startAgent();
});

afterAll(async () => {
  await cluster.stop();
  await hook.close();
});

describe('alarms on a real hub and agent', () => {
  it('raises backup-failed when a backup fails', async () => {
    const r = await hub.run(['backup', 'h1', '--volume', 'nope', '--wait']);
    expect(r.code).toBe(1);
    const a = await waitFor('backup-failed', async () => (await alarms()).find((x) => x.rule === 'backup-failed'));
    expect(a).toMatchObject({ level: 'critical', state: 'firing', host: 'h1' });
    expect(a.message).toMatch(/backup job \d+ of h1 failed: host h1 has no volume nope/);
  });

  it('serves /metrics with host resources, alarms and jobs, and /healthz', async () => {
    const text = await waitFor('a CPU sample in /metrics', async () => {
      const t = await (await fetch(`${hub.httpUrl}/metrics`)).text();
      return t.includes('drc_host_cpu_percent{host="h1"}') ? t : null;
    });
    expect(text).toMatch(/^drc_alarms_open\{level="critical"\} 1$/m);
    expect(text).toMatch(/^drc_jobs\{kind="backup",state="failed"\} 1$/m);
    expect(text).toMatch(/^drc_host_link_up\{host="h1"\} 1$/m);
    expect(text).toMatch(/^drc_host_disk_used_percent\{host="h1",mount="[^"]+"\} [\d.]+$/m);
    const health = await fetch(`${hub.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, agents: 1, openAlarms: 1 });
  });

  it('keeps the agent CPU history and round-trip latency in metrics.history', async () => {
    const client = await ApiClient.connect({ target: path.join(hub.dataDir, 'api.sock') });
    try {
      const cpu = await waitFor('two CPU samples', async () => {
        const h = await client.call('metrics.history', { host: 'h1', metric: 'cpu', range: 600 });
        return h.points.length >= 2 ? h : null;
      });
      expect(cpu.resolutionSeconds).toBe(1);
      expect(cpu.points[0]!.avg).toBeGreaterThanOrEqual(0);
      const week = await client.call('metrics.history', { host: 'h1', metric: 'cpu', range: 7 * 86_400 });
      expect(week.resolutionSeconds).toBe(60);
      expect(week.points.length).toBeGreaterThanOrEqual(1);
      const rtt = await waitFor('a ping round trip', async () => (await client.call('metrics.history', { host: 'h1', metric: 'link_latency', range: 600 })).points[0], 15_000);
      expect(rtt.avg).toBeLessThan(1000);
    } finally {
      client.close();
    }
  });

  it("exports the hub log, the agent's log fetched over its link, and a catalog summary", async () => {
    const out = cluster.file('logs.tar.gz');
    const r = await hub.json<{ files: string[]; errors: string[] }>(['logs', 'export', '--out', out]);
    expect(r).toEqual({ path: out, files: ['hub.log', 'agents/h1.log', 'catalog-summary.json'], errors: [] });
    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((f) => f.replace(/^drc-logs-[^/]+\//, ''))).toEqual(['hub.log', 'agents/h1.log', 'catalog-summary.json']);
    const agentLog = execFileSync('tar', ['xzOf', out, listing[1]!], { encoding: 'utf8' });
    expect(agentLog).toContain('connected to hub');
    const summary = JSON.parse(execFileSync('tar', ['xzOf', out, listing[2]!], { encoding: 'utf8' })) as { hosts: { name: string }[]; alarms: AlarmView[] };
    expect(summary.hosts.map((h) => h.name)).toEqual(['h1']);
    expect(summary.alarms.map((a) => a.rule)).toContain('backup-failed');
  });

  it('raises host-disconnected within 15 s of a kill -9 of the agent and delivers it to the webhook', async () => {
    const t0 = Date.now();
    await agent.stop('SIGKILL');
    const a = await openDisconnect();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(a).toMatchObject({ level: 'critical', host: 'h1', message: 'host h1 disconnected', sla: { ackWithinSeconds: 900, breached: false } });
    const n = await waitFor('the webhook notice', () => notices().find((x) => x.kind === 'fired' && x.alarm.id === a.id));
    expect(n.alarm).toMatchObject({ rule: 'host-disconnected', state: 'firing', host: 'h1' });
    const delivered = await waitFor('the delivery in the alarm', async () => (await alarms()).find((x) => x.id === a.id && x.deliveries.length > 0));
    expect(delivered.deliveries).toEqual([expect.objectContaining({ channel: 'ops-hook', transition: 'fired', ok: true, attempts: 1 })]);
  });

  it('acknowledges from the CLI with a note, and audits it', async () => {
    const a = await openDisconnect();
    const acked = await hub.json<AlarmView>(['alarms', 'ack', String(a.id), '--note', 'looking into it']);
    expect(acked).toMatchObject({ id: a.id, state: 'acknowledged', ackNote: 'looking into it', sla: { dueAt: null } });
    // the socket's peer, as the hub authenticated it (not the user name the client claims)
    expect(acked.ackedBy).toBe(`uid:${process.getuid!()}`);
    const again = await hub.run(['alarms', 'ack', String(a.id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already acknowledged/);
    expect(audit('alarm.acknowledged')).toEqual([expect.objectContaining({ actor: acked.ackedBy, target: `alarm:${a.id}` })]);
    expect(audit('alarm.fired').map((x) => x.target)).toContain(`alarm:${a.id}`);
  });

  it('resolves the alarm by itself when the agent is back, and notifies', async () => {
    const a = await openDisconnect();
    await startAgent();
    const r = await waitFor('the alarm resolved', async () => (await alarms()).find((x) => x.id === a.id && x.state === 'resolved'));
    expect(r).toMatchObject({ resolvedBy: 'system:alarms', resolveNote: 'condition cleared' });
    await waitFor('the resolved notice', () => notices().find((x) => x.kind === 'resolved' && x.alarm.id === a.id));
  });

  it('resolves by hand only with a note, and audits the note', async () => {
    await agent.stop('SIGKILL');
    const a = await openDisconnect();
    const bare = await hub.run(['alarms', 'resolve', String(a.id)]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--note TEXT is required/);
    const r = await hub.json<AlarmView>(['alarms', 'resolve', String(a.id), '--note', 'host decommissioned; agent removed']);
    expect(r).toMatchObject({ state: 'resolved', resolveNote: 'host decommissioned; agent removed' });
    const entry = audit('alarm.resolved').find((x) => x.target === `alarm:${a.id}`)!;
    expect(JSON.parse(entry.details)).toMatchObject({ note: 'host decommissioned; agent removed', rule: 'host-disconnected' });
  });

  it('lists a token added with an expiry, the open alarms and the failed task in the daily inspection', async () => {
    await hub.json(['hosts', 'add', 'h2', '--expires', '2d']);
    const client = await ApiClient.connect({ target: path.join(hub.dataDir, 'api.sock') });
    try {
      const v = await client.call('inspection.get', {});
      expect(v.expiringCredentials).toEqual([expect.objectContaining({ kind: 'token', name: 'h2' })]);
      expect(v.expiringCredentials[0]!.secondsLeft).toBeGreaterThan(2 * 86_400 - 60);
      expect(v.alarmsByLevel.critical).toBe(1);
      expect(v.failedTasks.map((j) => j.host)).toEqual(['h1']);
      expect(v.eventTrend).toHaveLength(30);
      expect(v.eventTrend[29]!.critical).toBeGreaterThanOrEqual(1);
      expect(v.storage.capacityBytes).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('sends a test notification through a named channel and refuses an unknown one', async () => {
    const ok = await hub.json<{ ok: boolean; channel: string }>(['alarms', 'test-channel', 'ops-hook']);
    expect(ok).toMatchObject({ ok: true, channel: 'ops-hook' });
    expect(notices().some((n) => n.kind === 'test' && n.alarm.rule === 'test-channel')).toBe(true);
    const bad = await hub.run(['alarms', 'test-channel', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('drc: no channel named nope (configured: ops-hook)\n');
  });
});
