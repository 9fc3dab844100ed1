// The cockpit of bench:load: `drc cockpit` as an operator runs it (bin/drc, CI unset) in a
// real tmux pane, attached to the loaded hub, driven by keys as a person would — moving the
// selection in the hosts table, opening a host's detail and going back, switching views with
// `:` commands — with each key's latency to the frame that shows its effect.
//   BENCH_COCKPIT_PROF=DIR  the cockpit under node --cpu-prof, its profile into DIR
//   BENCH_COCKPIT_NODE_FLAGS='--max-semi-space-size=4'  node flags after bin/drc's (they win)
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuOf } from './proc-cpu.js';
import { terminalEnv } from './key-latency.js';
import { TmuxControl, selectedRow } from './tmux-control.js';

export interface KeySample {
  /** what the key does: select, open, back, command, view */
  action: string;
  ms: number | null;
  /** the cockpit's main thread between the key and its frame: on a CPU, and runnable but waiting for one (Linux schedstat) */
  cpuMs: number;
  waitMs: number;
}

/** on-CPU and run-queue wait of a thread so far, ms (/proc/PID/task/TID/schedstat, in ns) */
function schedstat(pid: number | undefined): { cpu: number; wait: number } {
  if (pid === undefined) return { cpu: NaN, wait: NaN };
  try {
    const [cpu, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { cpu: cpu! / 1e6, wait: wait! / 1e6 };
  } catch {
    return { cpu: NaN, wait: NaN };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LoadCockpit {
  readonly tmux: TmuxControl;
  readonly samples: KeySample[] = [];
  private pid: number | undefined;

  constructor(readonly root: string, readonly hostPattern: RegExp, readonly hosts: number) {
    this.tmux = new TmuxControl(`drc-bench-load-${process.pid}`);
  }

  /** start the cockpit on the hub of `dataDir` and wait for its hosts view with every host */
  async start(binDrc: string, dataDir: string): Promise<void> {
    let node = process.execPath;
    const prof = process.env.BENCH_COCKPIT_PROF;
    const flags = process.env.BENCH_COCKPIT_NODE_FLAGS;
    if (prof || flags) {
      // node's flags after bin/drc's, so that the later (these) win
      node = path.join(this.root, 'node-cockpit.sh');
      const extra = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(prof), '--cpu-prof-name', 'cockpit.cpuprofile'] : []), ...(flags ?? '').split(' ').filter(Boolean)];
      const script = [
        '#!/bin/sh',
        '# bin/drc\'s node flags, then the bench\'s (the later wins), then drc.js and its arguments',
        'flags=',
        'while [ $# -gt 0 ]; do case $1 in --*) flags="$flags $1"; shift;; *) break;; esac; done',
        `exec ${process.execPath} $flags ${extra.join(' ')} "$@"`,
      ];
      fs.writeFileSync(node, `${script.join('\n')}\n`, { mode: 0o755 });
    }
    const env = terminalEnv();
    delete env.TERM; // tmux sets the pane's own
    await this.tmux.start(`env DRC_NODE=${node} ${binDrc} cockpit --data ${dataDir}; echo DRC-EXITED; sleep 600`, env);
    await this.until('the overview with every host', (s) => new RegExp(`hosts \\d+/${this.hosts} `).test(s));
    await this.tmux.keys([':hosts'], true);
    await this.until('the command line', (s) => s.includes(':hosts'));
    await this.tmux.keys(['Enter']);
    await this.until('the hosts view', (s) => s.includes(`Hosts (${this.hosts})`));
    this.pid = this.nodePid();
  }

  /** the cockpit's node process: the child of the pane's shell */
  private nodePid(): number | undefined {
    const shell = Number(this.tmux.commandSync('display-message', '-p', '-t', this.tmux.session, '#{pane_pid}'));
    try {
      const kids = fs.readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).map(Number);
      return kids.find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('drc.js'));
    } catch {
      return undefined;
    }
  }

  cpuSeconds(): number {
    return cpuOf(this.pid);
  }

  /** the cockpit's peak RSS so far, bytes */
  peakRss(): number {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : NaN;
    } catch {
      return NaN;
    }
  }

  async until(what: string, test: (s: string) => boolean, ms = 60_000): Promise<string> {
    const t = performance.now();
    for (;;) {
      const s = await this.tmux.screen();
      if (test(s)) return s;
      if (performance.now() - t > ms) throw new Error(`the cockpit never showed ${what}; screen:\n${s}`);
      await sleep(100);
    }
  }

  private async press(action: string, keys: string[], shows: (screen: string, withEscapes: string) => boolean): Promise<void> {
    const s0 = schedstat(this.pid);
    const ms = await this.tmux.press(keys, shows);
    const s1 = schedstat(this.pid);
    this.samples.push({ action, ms, cpuMs: s1.cpu - s0.cpu, waitMs: s1.wait - s0.wait });
  }

  /**
   * One round of what an operator does, from and back to the hosts view: j j k, Enter on
   * the selected host and Esc back, `:tasks` and `:hosts`. Only keys whose frame can be
   * told from the screen are timed (the typed command words are not).
   */
  async round(gap: () => number): Promise<void> {
    const hostsTitle = `Hosts (${this.hosts})`;
    for (const key of ['j', 'j', 'k']) {
      await sleep(gap());
      const before = selectedRow(await this.tmux.screen(true), this.hostPattern);
      await this.press('select', [key], (_, escaped) => {
        const now = selectedRow(escaped, this.hostPattern);
        return now !== null && now !== before;
      });
    }
    await sleep(gap());
    const host = selectedRow(await this.tmux.screen(true), this.hostPattern);
    await this.press('open', ['Enter'], (s) => s.includes('Recovery points') && (host === null || s.includes(` ${host} ·`)));
    await sleep(gap());
    await this.press('back', ['Escape'], (s) => s.includes(hostsTitle) && !s.includes('Recovery points'));
    for (const [view, title] of [['tasks', 'Tasks ('], ['hosts', hostsTitle]] as const) {
      await sleep(gap());
      await this.press('command', [':'], (s) => /^:/m.test(s));
      await this.tmux.keys([view], true);
      await this.until(`:${view} typed`, (s) => s.includes(`:${view}`), 10_000);
      await sleep(gap());
      await this.press('view', ['Enter'], (s) => s.includes(title) && !s.includes(`:${view}`));
    }
  }

  /** q, then the cockpit's exit (its CPU profile is written on the way out) */
  async quit(): Promise<void> {
    await this.tmux.keys(['q']).catch(() => undefined);
    await this.until('the cockpit to exit', (s) => s.includes('DRC-EXITED'), 30_000).catch(() => undefined);
    this.tmux.kill();
  }
}
