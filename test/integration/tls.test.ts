// The agents' door over TLS: a hub configured with a certificate serves wss://; an agent
// that trusts the certificate backs up and restores, one that does not is never let in.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, HubProc, makeImage } from '../helpers/cluster.js';
import { Cluster, backupOk, restoredSha, sha256File, waitFor, withCatalog } from './support.js';

describe('agents over wss://', () => {
  const c = new Cluster();
  let hub: HubProc;
  let cert: string;
  let image: string;

  beforeAll(async () => {
    cert = c.file('cert.pem');
    const key = c.file('key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    const config = c.file('drc.yaml');
    fs.writeFileSync(config, `hub:\n  tls:\n    cert: ${cert}\n    key: ${key}\n`);
    hub = await c.startHub(new HubProc(c.hubData, ['--config', config]));
    image = c.file('disk.img');
    makeImage(image, 16);
  });

  afterAll(() => c.stop());

  it('listens for agents on a wss:// URL when a certificate is configured', () => {
    expect(hub.agentsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it('backs up and restores byte-identical through an agent that trusts the certificate', async () => {
    const token = await hub.addHost('h1');
    await c.startAgent(hub, 'h1', token, { disk: image }, ['--ca', cert]);
    const job = await backupOk(hub, 'h1');
    expect(job.bytesWire).toBeGreaterThan(0);
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('restored.img'))).toBe(sha256File(image));
  });

  it('never lets in an agent that does not trust the certificate', async () => {
    const token = await hub.addHost('h2');
    const agent = new AgentProc(hub.agentsUrl, 'h2', token, { disk: image }, c.file('agent-h2'), ['--watch', '0']);
    c.agents.push(agent);
    agent.start();
    await waitFor('the agent to report a TLS failure', () => /certificate/i.test(agent.log), 15_000);
    const hosts = await hub.json<{ name: string; link: string }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h2')?.link).toBe('never');
    // the TLS handshake failed before any HTTP request: the hub never saw an upgrade from h2
    const attempts = withCatalog(hub.dataDir, (db) => db.prepare(`SELECT COUNT(*) AS n FROM audit WHERE action = 'agent.connect' AND target = 'h2'`).get() as { n: number });
    expect(attempts.n).toBe(0);
  });
});
