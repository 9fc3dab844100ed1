// Metric history on a real hub and agent: samples are folded in memory and written once a
// minute; the history answers from both, and a hub that stops cleanly writes what it still
// holds before it exits.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/client/api-client.js';
import type { Update } from '../../src/protocol/operator.js';
import { HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, waitFor, withCatalog } from './support.js';

const cluster = new Cluster();
let hub: HubProc;

beforeAll(async () => {
  hub = await cluster.startHub(new HubProc(cluster.hubData));
});

afterAll(async () => {
  await cluster.stop();
});

const cpuSamples = (resolution: number): number =>
  withCatalog(hub.dataDir, (db) => (db.prepare("SELECT COALESCE(SUM(n), 0) AS n FROM metric_samples WHERE host = 'h1' AND metric = 'cpu' AND resolution = ?").get(resolution) as { n: number }).n);

describe('metric history on a real hub', () => {
  it('answers history from samples not yet written, and writes every one when it stops', async () => {
    const image = cluster.file('disk.img');
    makeImage(image, 4);
    const token = await hub.addHost('h1');
    // count the samples the hub takes from the agent: each one is broadcast as it arrives
    const client = await ApiClient.connect({ target: path.join(hub.dataDir, 'api.sock') });
    let received = 0;
    let disconnected = false;
    client.onUpdate((u: Update) => {
      if (u.type === 'metrics' && u.host === 'h1') received++;
      if (u.type === 'host' && u.host.name === 'h1' && u.host.link === 'disconnected') disconnected = true;
    });
    await client.call('subscribe', { snapshot: false });
    const agent = await cluster.startAgent(hub, 'h1', token, { disk: image }, ['--metrics', '1']);
    await waitFor('three resource samples', () => received >= 3, 30_000);
    // the agent's last sample reaches the hub before its disconnection does
    await agent.stop();
    await waitFor('h1 disconnected', () => disconnected);
    // held in memory (the minute has not come round), and in the history all the same
    const history = await client.call('metrics.history', { host: 'h1', metric: 'cpu', range: 600 });
    client.close();
    expect(history.resolutionSeconds).toBe(1);
    expect(history.points.length).toBeGreaterThanOrEqual(Math.min(received, 2));
    expect(cpuSamples(1)).toBe(0);

    await hub.stop();
    expect(hub.proc.exitCode).toBe(0);
    expect([cpuSamples(1), cpuSamples(60), cpuSamples(3600)]).toEqual([received, received, received]);
  });
});
