// A drill that boots what it recovers, as an operator follows it in the cockpit: a real hub
// with a qemu target, a real agent protecting the bootable test guest, then `drc cockpit`
// in a real tmux pane (120×40, CI unset): the drill wizard shows the boot check live
// ("booting… 3s"), then its pass and the boot time under the RTO; :instances shows the
// booted guest's console and stops it after y. One guest boot, under TCG.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProc, HubProc, ROOT, tempDir, waitConnected } from '../helpers/cluster.js';
import { TmuxPane, sleep } from '../helpers/tmux.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0;
const session = `drc-e2e-boot-${process.pid}`;
const dir = tempDir('drc-e2e-boot-');
const hub = new HubProc(path.join(dir, 'hub'), ['--config', path.join(dir, 'drc.yaml')]);
let agent: AgentProc | undefined;

const pane = new TmuxPane(session);
const keys = (...k: string[]): void => pane.keys(...k);
const until = (what: string, pred: (s: string) => boolean, ms?: number): Promise<string> => pane.until(what, pred, ms);

/** is a qemu with a disk under this directory running? */
function qemuAlive(instanceDir: string): boolean {
  return spawnSync('pgrep', ['-f', instanceDir]).status === 0;
}

describe.skipIf(!haveQemu)('drill wizard booting a guest in tmux', () => {
  beforeAll(async () => {
    const guest = path.join(dir, 'guest.img');
    const g = spawnSync(path.join(ROOT, 'scripts', 'make-guest-image.sh'), [guest], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`make-guest-image failed: ${g.stderr}`);
    fs.writeFileSync(
      path.join(dir, 'drc.yaml'),
      [
        'targets:',
        `  - { name: vm, type: qemu, purpose: drill, path: ${path.join(dir, 'vms')}, memory: 256, accel: tcg }`,
        'checks:',
        '  - { name: booted, kind: boot, console: "drc-guest: booted", timeout: 120s }',
        '  - { name: web, type: http, url: "http://guest/", timeout: 10s }',
        '',
      ].join('\n'),
    );
    await hub.start();
    const token = await hub.addHost('h1');
    agent = new AgentProc(hub.agentsUrl, 'h1', token, { disk: guest }, path.join(dir, 'agent'), ['--watch', '0']).start();
    await waitConnected(hub, 'h1');
    expect((await hub.run(['backup', 'h1', '--full', '--wait'])).code).toBe(0);
    pane.start(`env -u CI DRC_NODE=${process.execPath} ${path.join(ROOT, 'bin', 'drc')} cockpit --data ${hub.dataDir}; echo DRC-EXITED; sleep 60`);
  }, 120_000);

  afterAll(async () => {
    pane.kill();
    await agent?.stop();
    await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it('shows the boot check live, then its pass and the boot time under the RTO; the instance is stopped from :instances after y', async () => {
    await until('the cockpit', (s) => s.includes('DR Cockpit'));
    keys(':');
    await sleep(300);
    keys('drill h1', 'Enter');
    await until('the point picker', (s) => s.includes('Drill h1: choose the recovery point'));
    keys('Enter');
    const summary = await until('the start question', (s) => s.includes('Start drill of h1?'));
    expect(summary).toContain('instant recovery off: full restore, then boot on vm');
    keys('y');

    // while the guest boots: the check step counts the seconds since power-on
    const booting = await until('the boot check running live', (s) => /▶ check h1\s.*booting… [1-9]\d*s/.test(s), 90_000);
    const first = Number(/booting… (\d+)s/.exec(booting)![1]);
    const later = await until('the boot seconds to move', (s) => Number(/booting… (\d+)s/.exec(s)?.[1] ?? -1) > first || s.includes('boot check passed in'), 30_000);
    expect(later).toMatch(/booting… \d+s|boot check passed in/);

    const done = await until('the drill to end', (s) => s.includes('record the verdict: p pass'), 120_000);
    expect(done).toMatch(/✓ check h1\s.*boot check passed in \d+\.\d s · booted pass, web/);
    const rto = done.split('\n').findIndex((l) => /^ RTO \S+/.test(l));
    expect(rto).toBeGreaterThanOrEqual(0);
    expect(done.split('\n')[rto + 1]).toMatch(/boot \d+\.\d s \(power-on → boot check passed\)/);
    expect(done).toContain('checks say pass');

    // the booted guest in :instances with its console; x asks, y stops it
    keys(':');
    await sleep(300);
    keys('instances', 'Enter');
    const inst = await until('the instance with its console', (s) => /\d+\s+drill\s+h1\s+running/.test(s) && s.includes('drc-guest: booted'), 20_000);
    const instanceDir = path.join(dir, 'vms');
    expect(inst).toContain('console of h1');
    expect(qemuAlive(instanceDir)).toBe(true);
    keys('x');
    await until('the stop question', (s) => /Stop drill instance \d+ of h1\? \[y\/N\]/.test(s), 5_000);
    keys('y');
    await until('the instance stopped', (s) => /instance \d+ of h1 stopped/.test(s), 20_000);
    expect(qemuAlive(instanceDir)).toBe(false);

    keys('q');
    await until('the cockpit to exit', (s) => s.includes('DRC-EXITED'), 5_000);
  }, 300_000);
});
