// Agent links: the token comes from DRC_TOKEN or a file (never the command line, where ps
// shows it), is re-checked during the session (an agent whose token expires is cut off at
// once, with an event), and a hung agent is reported disconnected within 15 s.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRC, HubProc, makeImage, waitConnected } from '../helpers/cluster.js';
import { Cluster, waitFor, withCatalog } from './support.js';

describe('agent links', () => {
  const c = new Cluster();
  let hub: HubProc;
  let clockFile = '';
  const procs: ChildProcess[] = [];

  function startAgent(host: string, how: { env?: Record<string, string>; args?: string[] }): ChildProcess {
    const p = spawn(process.execPath, [DRC, 'agent', '--hub', hub.agentsUrl, '--host', host, '--volume', `disk=${c.file('disk.img')}`, '--data', c.file(`agent-${host}`), '--watch', '0', ...(how.args ?? [])], {
      env: { ...process.env, ...how.env },
      stdio: 'ignore',
    });
    procs.push(p);
    return p;
  }

  async function link(host: string): Promise<string | undefined> {
    return (await hub.json<{ name: string; link: string }[]>(['hosts'])).find((h) => h.name === host)?.link;
  }

  beforeAll(async () => {
    clockFile = c.file('clock');
    fs.writeFileSync(clockFile, '0');
    process.env.DRC_TEST_CLOCK_FILE = clockFile;
    hub = await c.startHub();
    delete process.env.DRC_TEST_CLOCK_FILE;
    makeImage(c.file('disk.img'), 2);
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await c.stop();
  });

  it('takes its token from DRC_TOKEN, and ps does not show it', async () => {
    const { token } = await hub.json<{ token: string }>(['hosts', 'add', 'env-host']);
    const p = startAgent('env-host', { env: { DRC_TOKEN: token } });
    await waitConnected(hub, 'env-host');
    expect(fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')).not.toContain(token);
  });

  it('disconnects an agent at once when its token expires during the session, with an event', async () => {
    const { token } = await hub.json<{ token: string }>(['hosts', 'add', 'short', '--expires', '2m']);
    fs.writeFileSync(c.file('short.token'), `${token}\n`, { mode: 0o600 });
    startAgent('short', { args: ['--token-file', c.file('short.token')] });
    await waitConnected(hub, 'short');
    fs.writeFileSync(clockFile, String(3 * 60_000));
    const t0 = Date.now();
    await waitFor('the expired agent to be disconnected', async () => (await link('short')) === 'disconnected', 10_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const events = withCatalog(hub.dataDir, (db) => db.prepare("SELECT kind, host FROM events WHERE kind = 'agent.token.expired'").all());
    expect(events).toEqual([{ kind: 'agent.token.expired', host: 'short' }]);
    fs.writeFileSync(clockFile, '0');
  });

  it('reports a hung agent (SIGSTOP) disconnected within 15 s', async () => {
    const { token } = await hub.json<{ token: string }>(['hosts', 'add', 'hangs']);
    const p = startAgent('hangs', { env: { DRC_TOKEN: token } });
    await waitConnected(hub, 'hangs');
    p.kill('SIGSTOP');
    const t0 = Date.now();
    try {
      await waitFor('the hung agent to be disconnected', async () => (await link('hangs')) === 'disconnected', 20_000);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      p.kill('SIGCONT');
    }
  }, 30_000);
});
