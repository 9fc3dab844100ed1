// What proves a recovered instance came up: its serial console matches the boot check's
// regex before the deadline (boot time = power-on → match), and a QMP screendump of its
// display for the report.
import fs from 'node:fs';
import { qmpOnce } from './qmp.js';
import { clean, pidAlive, tail } from './vm.js';

export interface ConsoleMatch {
  matched: boolean;
  /** ms from power-on to the match, or to giving up */
  elapsedMs: number;
  /** the console up to the match, or its last lines */
  lines: string[];
  why: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function read(file: string): string {
  try {
    return clean(fs.readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}

function size(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return -1;
  }
}

/** how often the console is looked at: the boot time is measured to within this */
const POLL_MS = 20;

/** Poll the console file until `pattern` matches, the deadline passes or the process dies. */
export async function waitForConsole(o: { file: string; pattern: string; poweredOnAt: number; timeoutMs: number; pid: number | null; signal?: AbortSignal }): Promise<ConsoleMatch> {
  const re = new RegExp(o.pattern, 'm');
  const deadline = o.poweredOnAt + o.timeoutMs;
  let seen = -2;
  let text = '';
  for (;;) {
    // re-read only when the console grew
    const n = size(o.file);
    if (n !== seen) {
      seen = n;
      text = read(o.file);
    }
    const m = re.exec(text);
    const now = Date.now();
    if (m) {
      const upTo = text.slice(0, m.index + m[0].length).split('\n').map((l) => l.trimEnd()).filter(Boolean);
      return { matched: true, elapsedMs: now - o.poweredOnAt, lines: upTo.slice(-12), why: `console matched /${o.pattern}/ after ${((now - o.poweredOnAt) / 1000).toFixed(1)} s` };
    }
    const last = () => tail(o.file, 12);
    if (o.pid !== null && !pidAlive(o.pid)) return { matched: false, elapsedMs: now - o.poweredOnAt, lines: last(), why: 'the instance stopped before its console matched' };
    if (now >= deadline) return { matched: false, elapsedMs: now - o.poweredOnAt, lines: last(), why: `console did not match /${o.pattern}/ within ${o.timeoutMs / 1000} s` };
    if (o.signal?.aborted) return { matched: false, elapsedMs: now - o.poweredOnAt, lines: last(), why: 'cancelled' };
    await sleep(POLL_MS);
  }
}

/** Save the instance's display as PNG; returns the file's size. */
export async function screendump(qmp: string, file: string): Promise<number> {
  fs.rmSync(file, { force: true });
  await qmpOnce(qmp, 'screendump', { filename: file, format: 'png' }, 10_000);
  for (let i = 0; i < 50 && !fs.existsSync(file); i++) await sleep(20);
  return fs.statSync(file).size;
}
