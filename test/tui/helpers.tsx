// Rendering the cockpit in tests: a fixed size and clock, no render throttling.
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/tui/App.js';
import type { ViewRef } from '../../src/tui/route.js';
import { FakeClient } from './fake-client.js';
import { NOW } from './fixtures.js';

export const delay = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const KEYS = {
  enter: '\r', esc: '\x1b', down: '\x1b[B', up: '\x1b[A', tab: '\t', backspace: '\x7f', ctrlC: '\x03',
} as const;

export interface RenderAppOptions extends Partial<AppProps> {
  view?: ViewRef;
}

export async function renderApp(opts: RenderAppOptions = {}) {
  const client = (opts.client as FakeClient | undefined) ?? new FakeClient();
  const exits: string[] = [];
  const r = render(
    <App client={client} columns={opts.columns ?? 100} rows={opts.rows ?? 30} clock={opts.clock ?? (() => NOW)}
      throttleMs={opts.throttleMs ?? 0} colors={opts.colors ?? false} readonly={opts.readonly ?? false}
      initialView={opts.view ?? { kind: 'overview' }} onExit={(reason) => { exits.push(reason); }} />,
  );
  await delay(60);
  const frame = (): string => r.lastFrame() ?? '';
  /** writes keys one chunk each, waiting for Ink between them */
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      await delay(25);
    }
  };
  return { ...r, client, frame, press, exits };
}
