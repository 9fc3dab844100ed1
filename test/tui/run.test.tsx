import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTER_SCREEN, LEAVE_SCREEN, runCockpit } from '../../src/tui/run.js';
import { FakeClient } from './fake-client.js';
import { waitFor } from './helpers.js';

class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 30;
  isTTY = true;
  readonly chunks: string[] = [];
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get output(): string {
    return this.chunks.join('');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(d: string): void {
    this.data = d;
    this.emit('readable');
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function start(client = new FakeClient()) {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  let settled: 'resolved' | 'rejected' | null = null;
  let error: unknown = null;
  const done = runCockpit({
    client, stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream,
  }).then(() => { settled = 'resolved'; }, (e: unknown) => { settled = 'rejected'; error = e; });
  return { client, stdout, stdin, done, state: () => ({ settled, error }) };
}

/** the terminal is back: cursor shown and normal screen, after the last frame */
function expectRestored(out: string): void {
  expect(out.startsWith(ENTER_SCREEN)).toBe(true);
  expect(out.lastIndexOf(LEAVE_SCREEN)).toBeGreaterThan(out.lastIndexOf('DR Cockpit'));
  expect(out.split(LEAVE_SCREEN)).toHaveLength(2);
}

const exitCode = process.exitCode;
afterEach(() => { process.exitCode = exitCode; });

describe('runCockpit', () => {
  it('enters the alternate screen, renders, and restores the terminal on q', async () => {
    const c = start();
    await waitFor(() => c.stdout.output.includes('hub-test'));
    c.stdin.write('q');
    await c.done;
    expect(c.state().settled).toBe('resolved');
    expectRestored(c.stdout.output);
    expect(c.client.closed).toBe(true);
  });

  it('restores the terminal on Ctrl-C', async () => {
    const c = start();
    await waitFor(() => c.stdout.output.includes('DR Cockpit'));
    c.stdin.write('\x03');
    await c.done;
    expectRestored(c.stdout.output);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`restores the terminal on ${signal}`, async () => {
      const listeners = process.listenerCount(signal);
      const c = start();
      await waitFor(() => c.stdout.output.includes('DR Cockpit'));
      expect(process.listenerCount(signal)).toBeGreaterThan(listeners);
      process.emit(signal, signal);
      await c.done;
      expect(c.state().settled).toBe('resolved');
      expectRestored(c.stdout.output);
      expect(process.listenerCount(signal)).toBeLessThanOrEqual(listeners);
    });
  }

  it('restores the terminal and rejects on an uncaught exception', async () => {
    const saved = process.listeners('uncaughtException') as NodeJS.UncaughtExceptionListener[];
    process.removeAllListeners('uncaughtException');
    try {
      const c = start();
      await waitFor(() => c.stdout.output.includes('DR Cockpit'));
      for (const l of process.listeners('uncaughtException')) l(new Error('boom'), 'uncaughtException');
      await c.done;
      expect(c.state()).toEqual({ settled: 'rejected', error: new Error('boom') });
      expectRestored(c.stdout.output);
      expect(process.listenerCount('uncaughtException')).toBe(0);
    } finally {
      for (const l of saved) process.on('uncaughtException', l);
    }
  });

  it('restores the terminal and rejects when rendering fails', async () => {
    const client = new FakeClient();
    Object.defineProperty(client, 'target', { get: () => { throw new Error('render failed'); } });
    const c = start(client);
    await c.done;
    expect(c.state()).toEqual({ settled: 'rejected', error: new Error('render failed') });
    const out = c.stdout.output;
    expect(out.startsWith(ENTER_SCREEN)).toBe(true);
    expect(out.endsWith(LEAVE_SCREEN)).toBe(true);
  });

  it('shows a lost hub connection, then exits with a message on the normal screen', async () => {
    const c = start();
    await waitFor(() => c.stdout.output.includes('DR Cockpit'));
    c.client.setConnection('lost');
    await waitFor(() => c.stdout.output.includes('hub connection lost'));
    await c.done;
    expectRestored(c.stdout.output);
    expect(c.stdout.output.split(LEAVE_SCREEN)[1]).toBe('drc: hub connection lost (unix:/tmp/drc-test/api.sock)\n');
    expect(process.exitCode).toBe(1);
  });

  it('refuses to start without a terminal', async () => {
    const stdin = new FakeStdin();
    stdin.isTTY = false;
    await expect(runCockpit({ client: new FakeClient(), stdin: stdin as unknown as NodeJS.ReadStream }))
      .rejects.toThrow(/needs a terminal/);
  });
});
