// The failback wizard as an operator uses it: a real hub and agent, a failover from the CLI,
// then `drc cockpit` in a real tmux pane (120×40, CI unset): B on the failed-over host, the
// host name typed at the prompt, and the run followed to "home".
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, HubProc, ROOT, makeImage, sha256File, tempDir, waitConnected, waitFor } from '../helpers/cluster.js';

const session = `drc-e2e-failback-${process.pid}`;
const dir = tempDir('drc-e2e-failback-');
const hub = new HubProc(path.join(dir, 'hub'));
let agent: AgentProc;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', session, ...args], { encoding: 'utf8' });
}
const screen = (): string => tmux('capture-pane', '-p', '-t', session);
const keys = (...k: string[]): void => void tmux('send-keys', '-t', session, ...k);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, pred: (s: string) => boolean, ms = 20_000): Promise<string> {
  let last = '';
  try {
    return await waitFor(what, () => {
      last = screen();
      return pred(last) ? last : null;
    }, ms);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${last}`);
  }
}

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
    execFileSync('tmux', ['-L', session, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '120', '-y', '40',
      `env -u CI DRC_NODE=${process.execPath} ${path.join(ROOT, 'bin', 'drc')} cockpit --data ${hub.dataDir}; echo DRC-EXITED; sleep 60`]);
    tmux('set', '-s', 'escape-time', '10');
  });

  afterAll(async () => {
    spawnSync('tmux', ['-L', session, 'kill-server']);
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
