// Starts the cockpit full screen and puts the terminal back on every way out: q, Ctrl-C,
// SIGTERM, SIGHUP, SIGINT, an uncaught exception, a render error, and the hub lost for good.
import React from 'react';
import { render } from 'ink';
import { App, type ExitReason } from './App.js';
import type { CockpitClient } from './client.js';

export const ENTER_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l';
export const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
/**
 * Ink's cap on frames: what the hub sends is already limited by the store feed (4 frames/s
 * at most), so this only bounds how soon a key shows; Ink holds a frame back up to
 * 1000/MAX_FPS ms after the previous one. At 60 a key pressed just after a data frame waited
 * up to 17 ms, a third of the 50 ms key→frame budget, for one key in fourteen; at 250 it
 * waits 4 ms at most; data still draws at most 4 frames a second, keys as fast as a person types.
 */
const MAX_FPS = 250;
/** SIGINT too: in raw mode Ctrl-C is a key, but `kill -INT` still arrives as a signal */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/**
 * Catches render errors before Ink's own boundary does: Ink would unmount during the
 * first render, before anyone can wait for the exit, and the cockpit would hang.
 */
class CrashBoundary extends React.Component<{ onCrash: (e: unknown) => void; children: React.ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }
  override componentDidCatch(error: unknown): void {
    this.props.onCrash(error);
  }
  override render(): React.ReactNode {
    return this.state.failed ? null : this.props.children;
  }
}

export interface RunCockpitOptions {
  client: CockpitClient;
  readonly?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Resolves when the cockpit has exited and the terminal is restored. When the hub
 * connection is lost for good it prints why on the normal screen and sets exit code 1;
 * it rejects only on a crash (uncaught exception or render error), after restoring.
 */
export async function runCockpit(opts: RunCockpitOptions): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const { client } = opts;
  if (!stdin.isTTY) throw new Error('the cockpit needs a terminal: stdin is not a TTY (use the drc commands with --json in scripts)');
  let reason: ExitReason | 'signal' = 'quit';
  let restored = false;
  const write = (s: string): void => {
    try { stdout.write(s); } catch { /* the terminal may be gone (SIGHUP) */ }
  };
  const restore = (): void => {
    if (restored) return;
    restored = true;
    write(LEAVE_SCREEN);
  };

  let crash: unknown = null;
  const onCrash = (error: unknown): void => {
    crash = crash ?? error;
    // after render() has returned and the exit is being waited for
    setImmediate(() => instance.unmount());
  };

  write(ENTER_SCREEN);
  const instance = render(
    <CrashBoundary onCrash={onCrash}>
      <App client={client} readonly={opts.readonly ?? false} onExit={(r) => { reason = r; }} />
    </CrashBoundary>,
    { stdout, stdin, exitOnCtrlC: false, patchConsole: false, incrementalRendering: true, maxFps: MAX_FPS },
  );

  return new Promise<void>((resolve, reject) => {
    const onSignal = (): void => {
      reason = 'signal';
      stdout.on('error', () => { /* EIO/EPIPE after a hang-up */ });
      instance.unmount();
    };
    for (const s of SIGNALS) process.on(s, onSignal);
    process.on('uncaughtException', onCrash);
    process.on('exit', restore);
    const finish = (): void => {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.off('uncaughtException', onCrash);
      process.off('exit', restore);
      restore();
      try { client.close(); } catch { /* closing is best effort on the way out */ }
      if (crash !== null) { reject(crash); return; }
      if (reason === 'lost') {
        write(`drc: hub connection lost (${client.target})\n`);
        process.exitCode = 1;
      }
      resolve();
    };
    instance.waitUntilExit().then(finish, (error: unknown) => {
      crash = crash ?? error;
      finish();
    });
  });
}
