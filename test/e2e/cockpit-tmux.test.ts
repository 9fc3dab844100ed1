// The cockpit as a person uses it: `drc demo` in a real tmux pane (120×40, CI unset),
// driven with send-keys and read with capture-pane.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir, waitFor } from '../helpers/cluster.js';
import { TmuxPane, sleep } from '../helpers/tmux.js';

const session = `drc-e2e-${process.pid}`;
const dir = tempDir('drc-e2e-');
const demoDir = path.join(dir, 'demo');

const pane = new TmuxPane(session);
const screen = (): string => pane.screen();
const keys = (...k: string[]): void => pane.keys(...k);
const until = (what: string, pred: (s: string) => boolean, ms?: number): Promise<string> => pane.until(what, pred, ms);

/** the heatmap lines of the host detail view: from the volume line to the points title */
function heatmap(s: string): string {
  const lines = s.split('\n');
  const from = lines.findIndex((l) => l.includes('volume root'));
  const to = lines.findIndex((l) => l.includes('Recovery points'));
  return lines.slice(from, to).join('\n');
}

describe('cockpit in tmux', () => {
  beforeAll(() => {
    pane.start(
      // the installed command, as an operator starts it
      `env -u CI DRC_NODE=${process.execPath} ${path.join(ROOT, 'bin', 'drc')} demo --dir ${demoDir}; echo DRC-EXITED; sleep 60`);
  });

  afterAll(() => {
    pane.kill();
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it('starts alive, navigates by keys, backs a host up and quits leaving the terminal restored', async () => {
    // the overview comes up with every demo host connected: three with a workload, and the bootable guest where qemu is installed
    const ov = await until('overview with all demo hosts connected', (s) => /([34]) connected · 0 disconnected · \1 total/.test(s) && s.includes('DR Cockpit'));
    expect(ov).toMatch(/Throughput/);

    // :hosts lists every host
    keys(':');
    await sleep(300);
    keys('hosts', 'Enter');
    const hosts = await until('hosts table', (s) => ['app-01', 'db-01', 'web-01'].every((h) => s.includes(h)) && !s.includes('Throughput'));
    expect(hosts).toMatch(/connected/);

    // Enter opens the selected host's detail with its heatmap
    keys('Enter');
    const detail = await until('host detail', (s) => s.includes('volume root') && s.includes('Recovery points'));
    const host = /^ (\S+) · (tier|no tier)/m.exec(detail)?.[1];
    expect(['app-01', 'db-01', 'web-01']).toContain(host);

    // the heatmap moves as the workload writes and the agent's bitmaps arrive
    const before = heatmap(detail);
    await until('the heatmap to change', (s) => heatmap(s) !== before && s.includes('volume root'), 30_000);

    // a point of this host exists before we back it up again (the demo's first full)
    await until('the first recovery point', (s) => /Recovery points \([1-9]/.test(s), 60_000);
    // b queues a backup of this host; its task runs to the end and a new point appears
    const pointsBefore = Number(/Recovery points \((\d+)\)/.exec(screen())?.[1] ?? '0');
    keys('b');
    const queued = await until('backup queued message', (s) => /backup queued: job \d+/.test(s), 10_000);
    const job = /backup queued: job (\d+)/.exec(queued)![1];
    await until(`job ${job} to succeed`, (s) => new RegExp(`#${job}\\s+backup\\s+succeeded`).test(s), 90_000);
    await until('a new recovery point', (s) => Number(/Recovery points \((\d+)\)/.exec(s)?.[1] ?? '0') > pointsBefore, 10_000);

    // ? shows the help overlay; Esc closes it
    keys('?');
    const help = await until('help overlay', (s) => s.includes(':hosts') && !s.includes('volume root'));
    expect(help).toMatch(/quit/);
    keys('Escape');
    await until('help closed', (s) => s.includes('volume root'));

    // q quits: the alternate screen is left, the shell's line shows, the demo is gone
    keys('q');
    const after = await until('the cockpit to exit', (s) => s.includes('DRC-EXITED'), 5_000);
    expect(after).not.toContain('DR Cockpit');
    await waitFor('demo data removed', () => !fs.existsSync(demoDir), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; left: ${spawnSync('ls', ['-R', demoDir]).stdout.toString().slice(0, 800)}\n${screen()}`);
    });
    // no node process of the demo is left (the pane's shell is still there: it echoed)
    const left = spawnSync('ps', ['-eo', 'comm=,args=']).stdout.toString().split('\n').filter((l) => l.startsWith('node') && l.includes(demoDir));
    expect(left).toEqual([]);
  });
});
