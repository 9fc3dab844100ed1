// Rendering the cockpit in tests: a fixed size and clock, no render throttling.
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/tui/App.js';
import type { ViewRef } from '../../src/tui/route.js';
import { FakeClient } from './fake-client.js';
import { NOW } from './fixtures.js';

export const delay = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** polls until `check` holds (Ink renders on its own schedule) */
export async function waitFor(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the condition');
    await delay(20);
  }
}

export const KEYS = {
  enter: '\r', esc: '\x1b', down: '\x1b[B', up: '\x1b[A', tab: '\t', backspace: '\x7f', ctrlC: '\x03',
} as const;

export interface RenderAppOptions extends Partial<AppProps> {
  view?: ViewRef;
  /** wait until the hub's snapshot is on screen (default true) */
  synced?: boolean;
}

export async function renderApp(opts: RenderAppOptions = {}) {
  const client = (opts.client as FakeClient | undefined) ?? new FakeClient();
  const exits: string[] = [];
  const r = render(
    <App client={client} columns={opts.columns ?? 100} rows={opts.rows ?? 30} clock={opts.clock ?? (() => NOW)}
      throttleMs={opts.throttleMs ?? 0} colors={opts.colors ?? false} readonly={opts.readonly ?? false}
      initialView={opts.view ?? { kind: 'overview' }} onExit={(reason) => { exits.push(reason); }} />,
  );
  const frame = (): string => r.lastFrame() ?? '';
  if (opts.synced === false) await delay(60);
  else await waitFor(() => frame().includes('hub-test'));
  /** writes keys one chunk each, waiting for Ink between them: 25 ms, then until the frame
   *  has stayed the same for 20 ms (at most 1 s), so a loaded machine does not outrun Ink */
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      await delay(25);
      await settled();
    }
  };
  const settled = async (): Promise<void> => {
    const until = Date.now() + 1_000;
    let last = frame();
    let stableSince = Date.now();
    while (Date.now() < until) {
      await delay(5);
      const now = frame();
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= 20) return;
    }
  };
  return { ...r, client, frame, press, exits };
}
