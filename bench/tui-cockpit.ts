// The cockpit under test for `npm run bench:tui`, in a process of its own (so its RSS and
// CPU are its own): the real runCockpit → App → ApiClient → hub, rendered into a fake
// 120×40 TTY that counts bytes and timestamps writes, with a fake TTY stdin for keys.
// Driven by its parent over IPC (see CockpitCommand); answers with CockpitReply.
//
// Render time per frame: every macrotask (timer, immediate, stdin event) is timed; a task
// that wrote to the terminal is one frame, and its duration covers React render and commit,
// Yoga layout, Ink's output and the write — everything between "something changed" and
// "bytes out". Parsing hub messages and applying them to the store happen in socket
// callbacks and are not counted as render time (they show in the process CPU instead).
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';

// as bin/drc.js does, before anything loads React: its production build
process.env.NODE_ENV ??= 'production';
// Ink prints only the last frame when it thinks it runs in CI (is-in-ci reads these once)
for (const k of Object.keys(process.env)) if (k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_')) delete process.env[k];

export type CockpitCommand =
  | { cmd: 'start'; target: string; columns: number; rows: number }
  | { cmd: 'window'; ms: number }
  | { cmd: 'keys'; text: string }
  | { cmd: 'keylat'; count: number; keys: string[]; gapMs: [number, number]; timeoutMs: number }
  | { cmd: 'screen' }
  /** write a heap snapshot (BENCH_HEAP=DIR) */
  | { cmd: 'heap'; file: string }
  | { cmd: 'quit' };

export interface WindowStats {
  ms: number;
  bytes: number;
  writes: number;
  /** duration of each task that wrote to the terminal, ms: wall and this process's CPU */
  frames: number[];
  frameCpu: number[];
  cpuMs: number;
  /** hub updates received in the window, by type */
  updates: Record<string, number>;
  rss: number;
  /** highest RSS sampled (4/s) during the window */
  rssMax: number;
  heapUsed: number;
}

export type CockpitReply =
  | { ev: 'started'; screen: string }
  | { ev: 'window'; stats: WindowStats }
  | { ev: 'keylat'; samples: number[]; timeouts: number; frames: number[]; frameCpu: number[] }
  | { ev: 'screen'; screen: string }
  | { ev: 'ok' }
  | { ev: 'exited'; error: string | null };

// ---- task timing ------------------------------------------------------------------------
let inTask = false;
let taskWrote = false;
/** per frame: wall time, and CPU time of this process (tells our cost from a busy machine) */
const frames: { at: number; ms: number; cpuMs: number }[] = [];

function timed<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return function (this: unknown, ...args: A): R {
    if (inTask) return fn.apply(this, args);
    inTask = true;
    taskWrote = false;
    const t = performance.now();
    const c = process.cpuUsage();
    try {
      return fn.apply(this, args);
    } finally {
      inTask = false;
      if (taskWrote) {
        const now = performance.now();
        const cpu = process.cpuUsage(c);
        frames.push({ at: now, ms: now - t, cpuMs: (cpu.user + cpu.system) / 1000 });
      }
    }
  };
}

const origSetTimeout = globalThis.setTimeout;
const origSetInterval = globalThis.setInterval;
const origSetImmediate = globalThis.setImmediate;
type AnyFn = (...args: unknown[]) => unknown;
globalThis.setTimeout = Object.assign(
  (fn: AnyFn, ms?: number, ...args: unknown[]) => origSetTimeout(timed(fn), ms, ...args),
  origSetTimeout,
) as unknown as typeof setTimeout;
globalThis.setInterval = Object.assign(
  (fn: AnyFn, ms?: number, ...args: unknown[]) => origSetInterval(timed(fn), ms, ...args),
  origSetInterval,
) as unknown as typeof setInterval;
globalThis.setImmediate = Object.assign(
  (fn: AnyFn, ...args: unknown[]) => origSetImmediate(timed(fn), ...args),
  origSetImmediate,
) as unknown as typeof setImmediate;

// ---- the fake terminal --------------------------------------------------------------------
let bytes = 0;
let writes = 0;
/** hub updates received, by type */
const updates: Record<string, number> = {};
/** highest RSS since the last window began (sampled off the frame path, 4/s) */
let rssMax = 0;
origSetInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage.rss()); }, 250).unref();
let lastWriteAt = 0;
let writeWaiter: ((at: number) => void) | null = null;
/** armed when a key is pushed, moved to writeWaiter once Ink reads it: a write that was already on its way before the key was read does not count */
let keyWaiter: ((at: number) => void) | null = null;

/** Just enough of a terminal to read back what is on screen (for sanity checks). */
class Screen {
  lines: string[] = [];
  row = 0;
  /** written but not yet applied: parsing waits until someone looks, out of the frames being timed */
  private pending: string[] = [];
  feed(s: string): void {
    this.pending.push(s);
  }
  private apply(s: string): void {
    // eslint-disable-next-line no-control-regex
    const re = /\x1b\[([0-9;?]*)([A-Za-z])|\n|[^\x1b\n]+/g;
    for (const m of s.matchAll(re)) {
      const tok = m[0];
      if (tok === '\n') this.row++;
      else if (m[2] !== undefined) {
        const n = Number(m[1] || '1');
        if (m[2] === 'A') this.row = Math.max(0, this.row - n);
        else if (m[2] === 'E') this.row++;
        else if (m[2] === 'K') this.lines[this.row] = '';
        else if (m[2] === 'J') { this.lines = []; this.row = 0; }
        else if (m[2] === 'H') this.row = 0;
      } else {
        this.lines[this.row] = (this.lines[this.row] ?? '') + tok;
      }
    }
  }
  text(): string {
    for (const s of this.pending.splice(0)) this.apply(s);
    return this.lines.map((l) => l ?? '').join('\n');
  }
}
const screen = new Screen();

class FakeTtyOut extends Writable {
  isTTY = true;
  constructor(public columns: number, public rows: number) {
    super({ decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    bytes += Buffer.byteLength(s);
    writes++;
    lastWriteAt = performance.now();
    if (inTask) taskWrote = true;
    screen.feed(s);
    const w = writeWaiter;
    writeWaiter = null;
    w?.(lastWriteAt);
    cb();
  }
  getColorDepth(): number {
    return 8;
  }
  hasColors(): boolean {
    return true;
  }
}

class FakeTtyIn extends Readable {
  isTTY = true;
  isRaw = false;
  override _read(): void { /* keys are pushed by the bench */ }
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  // Ink reads keys in its 'readable' listener: time that like any other task
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'readable' && keyWaiter) {
      writeWaiter = keyWaiter;
      keyWaiter = null;
    }
    if (event === 'readable' || event === 'data') return timed(() => super.emit(event, ...args))();
    return super.emit(event, ...args);
  }
}

// ---- the session ---------------------------------------------------------------------------
const send = (r: CockpitReply): void => void process.send?.(r);
/** the reply first: process.exit would drop a message still in the IPC pipe */
const exitWith = (r: CockpitReply, code: number): void => {
  if (!process.send || !process.connected) process.exit(code);
  process.send(r, () => process.exit(code));
};
const sleep = (ms: number): Promise<void> => new Promise((r) => origSetTimeout(r, ms));
let stdin: FakeTtyIn | null = null;

async function start(c: Extract<CockpitCommand, { cmd: 'start' }>): Promise<void> {
  const { ApiClient } = await import('../src/client/api-client.js');
  const { runCockpit } = await import('../src/tui/run.js');
  const client = await ApiClient.connect({ target: c.target });
  client.onUpdate((u) => { updates[u.type] = (updates[u.type] ?? 0) + 1; });
  const out = new FakeTtyOut(c.columns, c.rows);
  stdin = new FakeTtyIn();
  runCockpit({ client, stdout: out as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream }).then(
    () => {
      const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
      exitWith({ ev: 'exited', error: code === 0 ? null : `exit ${code}; last screen:\n${screen.text()}` }, code);
    },
    (e: unknown) => exitWith({ ev: 'exited', error: e instanceof Error ? e.stack ?? e.message : String(e) }, 1),
  );
  send({ ev: 'started', screen: screen.text() });
}

async function window(ms: number): Promise<void> {
  const b0 = bytes;
  const w0 = writes;
  const f0 = frames.length;
  const u0 = { ...updates };
  rssMax = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const c = process.cpuUsage(c0);
  const mem = process.memoryUsage();
  send({
    ev: 'window',
    stats: {
      ms: performance.now() - t0, bytes: bytes - b0, writes: writes - w0,
      frames: frames.slice(f0).map((f) => f.ms), frameCpu: frames.slice(f0).map((f) => f.cpuMs), cpuMs: (c.user + c.system) / 1000,
      updates: Object.fromEntries(Object.entries(updates).map(([k, n]) => [k, n - (u0[k] ?? 0)]).filter(([, n]) => n !== 0)), rss: mem.rss, rssMax: Math.max(rssMax, mem.rss), heapUsed: mem.heapUsed,
    },
  });
}

/** Press keys one at a time; each sample is the time until the next write to the terminal. */
async function keyLatency(c: Extract<CockpitCommand, { cmd: 'keylat' }>): Promise<void> {
  const samples: number[] = [];
  let timeouts = 0;
  const f0 = frames.length;
  for (let i = 0; i < c.count; i++) {
    await sleep(c.gapMs[0] + Math.random() * (c.gapMs[1] - c.gapMs[0]));
    const key = c.keys[i % c.keys.length]!;
    const t0 = performance.now();
    const wrote = new Promise<number | null>((resolve) => {
      keyWaiter = resolve;
      origSetTimeout(() => {
        if (writeWaiter === resolve) writeWaiter = null;
        if (keyWaiter === resolve) keyWaiter = null;
        resolve(null);
      }, c.timeoutMs);
    });
    stdin!.push(key);
    const at = await wrote;
    if (at === null) timeouts++;
    else samples.push(at - t0);
  }
  send({ ev: 'keylat', samples, timeouts, frames: frames.slice(f0).map((f) => f.ms), frameCpu: frames.slice(f0).map((f) => f.cpuMs) });
}

process.on('message', (m: CockpitCommand) => {
  const fail = (e: unknown): void => exitWith({ ev: 'exited', error: e instanceof Error ? e.stack ?? e.message : String(e) }, 1);
  switch (m.cmd) {
    case 'start': start(m).catch(fail); return;
    case 'window': window(m.ms).catch(fail); return;
    case 'keylat': keyLatency(m).catch(fail); return;
    case 'keys': stdin?.push(m.text); send({ ev: 'ok' }); return;
    case 'screen': send({ ev: 'screen', screen: screen.text() }); return;
    case 'heap': void import('node:v8').then((v8) => { v8.writeHeapSnapshot(m.file); send({ ev: 'ok' }); }).catch(fail); return;
    case 'quit': stdin?.push('q'); return;
  }
});
process.on('disconnect', () => process.exit(0));
