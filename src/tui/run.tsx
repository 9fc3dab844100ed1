// Starts the cockpit full screen and puts the terminal back on every way out: q, Ctrl-C,
// SIGTERM, SIGHUP, an uncaught exception, a render error, and the hub lost for good.
import React from 'react';
import { render } from 'ink';
import { App, type ExitReason } from './App.js';
import type { CockpitClient } from './client.js';

export const ENTER_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l';
export const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

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

  write(ENTER_SCREEN);
  const instance = render(
    <App client={client} readonly={opts.readonly ?? false} onExit={(r) => { reason = r; }} />,
    { stdout, stdin, exitOnCtrlC: false, patchConsole: false, incrementalRendering: true, maxFps: 10 },
  );

  return new Promise<void>((resolve, reject) => {
    let crash: unknown = null;
    const onSignal = (): void => {
      reason = 'signal';
      stdout.on('error', () => { /* EIO/EPIPE after a hang-up */ });
      instance.unmount();
    };
    const onCrash = (error: unknown): void => {
      crash = error;
      instance.unmount(error instanceof Error ? error : new Error(String(error)));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    process.on('uncaughtException', onCrash);
    process.on('exit', restore);
    const finish = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
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
