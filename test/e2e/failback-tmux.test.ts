// The failback wizard as an operator uses it: a real hub and agent, a failover from the CLI,
// then `drc cockpit` in a real tmux pane (120×40, CI unset): B on the failed-over host, the
// host name typed at the prompt, and the run followed to "home".
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, HubProc, ROOT, makeImage, sha256File, tempDir, waitConnected } from '../helpers/cluster.js';
import { TmuxPane, sleep } from '../helpers/tmux.js';

const session = `drc-e2e-failback-${process.pid}`;
const dir = tempDir('drc-e2e-failback-');
const hub = new HubProc(path.join(dir, 'hub'));
let agent: AgentProc;

const pane = new TmuxPane(session);
const screen = (): string => pane.screen();
const keys = (...k: string[]): void => pane.keys(...k);
const until = (what: string, pred: (s: string) => boolean, ms?: number): Promise<string> => pane.until(what, pred, ms);

describe('failback wizard in tmux', () => {
  beforeAll(async () => {
    await hub.start();
    const token = await hub.addHost('h1');
    makeImage(path.join(dir, 'h1.img'), 4);
    agent = new AgentProc(hub.agentsUrl, 'h1', token, { disk: path.join(dir, 'h1.img') }, path.join(dir, 'agent'), ['--watch', '0']).start();
    await waitConnected(hub, 'h1');
    expect((await hub.run(['backup', 'h1', '--full', '--wait'])).code).toBe(0);
    const f = await hub.run(['failover', 'h1', '--confirm', 'h1']);
    expect(f.code, f.stderr).toBe(0);
    pane.start(
      `env -u CI DRC_NODE=${process.execPath} ${path.join(ROOT, 'bin', 'drc')} cockpit --data ${hub.dataDir}; echo DRC-EXITED; sleep 60`);
  });

  afterAll(async () => {
    pane.kill();
    await agent?.stop();
    await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it('brings the failed-over host home from its detail view with B and the typed host name', async () => {
    await until('the cockpit', (s) => s.includes('DR Cockpit'));
    keys(':');
    await sleep(300);
    keys('hosts', 'Enter');
    await until('hosts table', (s) => s.includes('h1') && !s.includes('Throughput'));
    keys('Enter');
    await until('host detail', (s) => s.includes('Recovery points'));
    const image = path.join(hub.dataDir, 'failover', 'h1', 'h1-disk.img');
    const fd = fs.openSync(image, 'r+');
    fs.writeSync(fd, Buffer.from('written at the DR site'), 0, 22, 8192);
    fs.closeSync(fd);
    keys('B');
    const pre = await until('the failback prompt', (s) => s.includes('FAILBACK h1: type the host name to confirm'));
    expect(pre).toMatch(/1 block\(s\) differ/);
    keys('h1', 'Enter');
    await until('the failback to complete', (s) => s.includes('failback completed: h1 is home'), 60_000);
    expect(sha256File(path.join(dir, 'h1.img'))).toBe(sha256File(image));
    keys('q');
    await until('the cockpit to exit', (s) => s.includes('DRC-EXITED'), 5_000);
  });
});
