// A minimal QMP client for the hub's recovered instances: connect to an instance's monitor
// socket, leave capabilities mode, run one command at a time. Events are ignored.
import net from 'node:net';

export class QmpCommandError extends Error {
  constructor(command: string, desc: string) {
    super(`QMP ${command}: ${desc}`);
    this.name = 'QmpCommandError';
  }
}

type Waiter = { command: string; resolve: (v: unknown) => void; reject: (e: Error) => void };

export class InstanceMonitor {
  private buffer = '';
  private waiters: Waiter[] = [];
  private closed: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('monitor connection closed')));
  }

  /** Connect and negotiate; rejects within `timeoutMs` when nothing answers. */
  static async connect(path: string, timeoutMs = 3000): Promise<InstanceMonitor> {
    const socket = net.createConnection({ path });
    const m = new InstanceMonitor(socket);
    const timer = setTimeout(() => socket.destroy(new Error(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
    try {
      await m.next('greeting');
      await m.execute('qmp_capabilities');
      return m;
    } catch (e) {
      socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private next(command: string): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => this.waiters.push({ command, resolve, reject }));
  }

  execute<T = unknown>(command: string, args?: object): Promise<T> {
    const p = this.next(command) as Promise<T>;
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    return p;
  }

  private onData(d: string): void {
    this.buffer += d;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('event' in msg) continue;
      const w = this.waiters.shift();
      if (!w) continue;
      if ('error' in msg) {
        const err = msg.error as { desc?: string };
        w.reject(new QmpCommandError(w.command, err.desc ?? 'failed'));
      } else w.resolve('QMP' in msg ? msg.QMP : msg.return);
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(new QmpCommandError(w.command, e.message));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Run one command on an instance's monitor and disconnect. */
export async function qmpOnce<T = unknown>(path: string, command: string, args?: object, timeoutMs = 5000): Promise<T> {
  const m = await InstanceMonitor.connect(path, timeoutMs);
  try {
    return await Promise.race([
      m.execute<T>(command, args),
      new Promise<T>((_, reject) => setTimeout(() => reject(new QmpCommandError(command, `no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } finally {
    m.close();
  }
}
