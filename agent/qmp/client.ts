// A small QMP client (QEMU Machine Protocol) over a unix socket: reads the greeting,
// negotiates capabilities, runs commands with ids and hands out asynchronous events.
import net from 'node:net';

/** A QMP command failed, or the monitor went away; one line. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${desc}`);
    this.name = 'QmpError';
  }
}

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

type Pending = { command: string; resolve: (v: unknown) => void; reject: (e: Error) => void };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private listeners = new Set<(e: QmpEvent) => void>();
  private greeting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void } | null = null;
  private failure: QmpError | null = null;
  /** QEMU version from the greeting, e.g. "7.2.22" */
  version = '';

  private constructor(
    private readonly socket: net.Socket,
    readonly path: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => this.fail(new QmpError('connection', 'socket', `${path}: ${e.message}`)));
    socket.on('close', () => this.fail(new QmpError('connection', 'closed', `${path}: monitor connection closed`)));
  }

  /** Connect, read the greeting and leave capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = net.createConnection({ path });
    const c = new QmpClient(socket, path);
    const timer = setTimeout(() => {
      c.fail(new QmpError('connect', 'timeout', `${path}: no QMP greeting within ${timeoutMs} ms`));
      socket.destroy();
    }, timeoutMs);
    try {
      const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
        if (c.failure) reject(c.failure);
        else c.greeting = { resolve, reject };
      });
      const qemu = isRecord(hello.QMP) && isRecord(hello.QMP.version) ? hello.QMP.version.qemu : null;
      if (isRecord(qemu)) c.version = `${String(qemu.major)}.${String(qemu.minor)}.${String(qemu.micro)}`;
      await c.execute('qmp_capabilities');
      return c;
    } catch (e) {
      socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(new QmpError(command, this.failure.errorClass, this.failure.message));
    const id = `drc-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + '\n');
    });
  }

  /** Subscribe to events; returns the unsubscribe function. */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next event named `name` whose data passes `match`. Subscribe before the command that causes it. */
  waitEvent(name: string, match: (data: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new QmpError(name, 'timeout', `no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onEvent((e) => {
        if (e.event !== name || !match(e.data)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const done = new Promise<void>((r) => this.socket.once('close', () => r()));
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    await done;
    clearTimeout(t);
  }

  private onData(d: string): void {
    this.buffer += d;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      return this.fail(new QmpError('connection', 'malformed', `${this.path}: monitor sent a line that is not JSON`));
    }
    if (!isRecord(m)) return;
    if ('QMP' in m && this.greeting) {
      const g = this.greeting;
      this.greeting = null;
      return g.resolve(m);
    }
    if (typeof m.event === 'string') {
      const e: QmpEvent = {
        event: m.event,
        data: isRecord(m.data) ? m.data : {},
        timestamp: isRecord(m.timestamp) ? { seconds: Number(m.timestamp.seconds), microseconds: Number(m.timestamp.microseconds) } : { seconds: 0, microseconds: 0 },
      };
      for (const l of [...this.listeners]) l(e);
      return;
    }
    const id = typeof m.id === 'string' ? m.id : null;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return;
    this.pending.delete(id);
    if ('return' in m) p.resolve(m.return);
    else if (isRecord(m.error)) p.reject(new QmpError(p.command, String(m.error.class), String(m.error.desc)));
    else p.reject(new QmpError(p.command, 'malformed', 'reply has neither return nor error'));
  }

  private fail(e: QmpError): void {
    if (this.failure) return;
    this.failure = e;
    this.greeting?.reject(e);
    this.greeting = null;
    for (const p of this.pending.values()) p.reject(new QmpError(p.command, e.errorClass, e.message.replace(/^QMP [^:]+: /, '')));
    this.pending.clear();
  }
}
