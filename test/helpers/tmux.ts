// A real tmux pane for end-to-end cockpit tests: start a command in it, send keys, read the
// screen, and wait until the screen shows something (the screen is printed when it does not).
import { execFileSync, spawnSync } from 'node:child_process';
import { waitFor } from './cluster.js';

export class TmuxPane {
  constructor(readonly session: string) {}

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.session, ...args], { encoding: 'utf8' });
  }

  /** a detached 120×40 session running `command` in a shell, with a short escape time */
  start(command: string): void {
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', '120', '-y', '40', command);
    this.tmux('set', '-s', 'escape-time', '10');
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.session, 'kill-server']);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  keys(...k: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...k);
  }

  async until(what: string, pred: (s: string) => boolean, ms = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(what, () => {
        last = this.screen();
        return pred(last) ? last : null;
      }, ms);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- screen ---\n${last}`);
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
