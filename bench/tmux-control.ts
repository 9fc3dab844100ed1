// A real tmux pane (120×40, escape-time 10 ms) driven through one control-mode client
// (`tmux -C attach`): keys go in as send-keys commands and every chunk the pane's program
// writes comes back as a timestamped %output line, with no process started per key or per
// screen read. Key→frame latency is the time from the send-keys command to the output
// after which the pane shows what the key should show (checked with capture-pane).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';

interface Pending {
  resolve: (r: Reply) => void;
  lines: string[];
  outputs: number;
}

interface Reply {
  ok: boolean;
  lines: string[];
  /** how many %output lines had arrived when the reply began */
  outputs: number;
}

/** a command-line word for tmux's parser */
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxControl {
  private client: ChildProcessWithoutNullStreams | null = null;
  private buf = '';
  private queue: Pending[] = [];
  private current: Pending | null = null;
  /** arrival time (performance.now()) of every %output line of the pane */
  readonly outputAt: number[] = [];
  private outputWaiters: (() => void)[] = [];

  constructor(readonly socket: string, readonly session = 'cockpit') {}

  /** start `command` (a shell line) in a detached 120×40 session and attach the control client */
  async start(command: string, env: NodeJS.ProcessEnv): Promise<void> {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', '120', '-y', '40', command], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr.trim()}`);
    this.commandSync('set', '-sg', 'escape-time', '10');
    // the pane keeps its size whatever the control client says (it has none of its own)
    this.commandSync('set', '-g', 'window-size', 'manual');
    const c = spawn('tmux', ['-L', this.socket, '-C', 'attach', '-t', this.session], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.client = c;
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d: string) => this.onData(d));
    c.stderr.on('data', () => { /* tmux says nothing useful here */ });
    // the attach itself answers with a block of its own: skip blocks until our marker's
    const marker = `drc-bench-ready-${process.pid}`;
    for (let i = 0; i < 5; i++) {
      const r2 = await this.command(`display-message -p ${quote(marker)}`);
      if (r2.lines.includes(marker)) return;
    }
    throw new Error('tmux control client never answered');
  }

  private onData(d: string): void {
    const now = performance.now();
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (this.current) {
        if (line.startsWith('%end ') || line.startsWith('%error ')) {
          const p = this.current;
          this.current = null;
          p.resolve({ ok: line.startsWith('%end '), lines: p.lines, outputs: p.outputs });
        } else this.current.lines.push(line);
        continue;
      }
      if (line.startsWith('%output ')) {
        this.outputAt.push(now);
        for (const w of this.outputWaiters.splice(0)) w();
      } else if (line.startsWith('%begin ')) {
        this.current = this.queue.shift() ?? { resolve: () => undefined, lines: [], outputs: 0 };
        this.current.outputs = this.outputAt.length;
      }
    }
  }

  /** a tmux command run as a process of its own (for set-up, not for timed work): its output */
  commandSync(...args: string[]): string {
    return spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' }).stdout.trim();
  }

  /** one tmux command through the control client; resolves with its reply */
  command(cmd: string): Promise<Reply> {
    const c = this.client;
    if (!c || c.exitCode !== null) return Promise.reject(new Error('tmux control client is gone'));
    return new Promise((resolve) => {
      this.queue.push({ resolve, lines: [], outputs: 0 });
      c.stdin.write(`${cmd}\n`);
    });
  }

  /** the pane as text; with escapes (SGR) when `escapes` */
  async screen(escapes = false): Promise<string> {
    const r = await this.command(`capture-pane -p ${escapes ? '-e ' : ''}-t ${this.session}`);
    return r.lines.join('\n');
  }

  /** keys by tmux name (Enter, Escape, j); `literal` sends a string as typed */
  keys(keys: string[], literal = false): Promise<Reply> {
    return this.command(`send-keys -t ${this.session} ${literal ? '-l ' : ''}${keys.map(quote).join(' ')}`);
  }

  private nextOutput(after: number, timeoutMs: number): Promise<boolean> {
    if (this.outputAt.length > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.outputWaiters.push(() => { clearTimeout(t); resolve(true); });
    });
  }

  /**
   * Press `keys` and return the ms until the frame that makes `shows(screen)` true (the last
   * output before a screen read that passes), or null when it never comes within timeoutMs.
   */
  async press(keys: string[], shows: (screen: string, withEscapes: string) => boolean, timeoutMs = 5000): Promise<number | null> {
    const seen0 = this.outputAt.length;
    const t0 = performance.now();
    const sent = this.keys(keys);
    let seen = seen0;
    for (;;) {
      const left = timeoutMs - (performance.now() - t0);
      if (left <= 0 || !(await this.nextOutput(seen, left))) return null;
      const r = await this.command(`capture-pane -p -e -t ${this.session}`);
      seen = Math.max(seen, r.outputs);
      const escaped = r.lines.join('\n');
      if (r.outputs > seen0 && shows(stripSgr(escaped), escaped)) {
        await sent;
        return this.outputAt[r.outputs - 1]! - t0;
      }
    }
  }

  kill(): void {
    this.client?.stdin.end();
    this.client?.kill();
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

// eslint-disable-next-line no-control-regex
const stripSgr = (s: string): string => s.replace(/\x1b\[[0-9;:]*m/g, '');

/** the host name on the selected (inverse) line of a table, from a screen with escapes */
export function selectedRow(screenWithEscapes: string, name: RegExp): string | null {
  // eslint-disable-next-line no-control-regex
  const line = screenWithEscapes.split('\n').find((l) => /\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m/.test(l));
  return line ? (name.exec(line)?.[0] ?? null) : null;
}
