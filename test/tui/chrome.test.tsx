import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Footer } from '../../src/tui/components/Footer.js';
import { Header } from '../../src/tui/components/Header.js';
import { HelpOverlay } from '../../src/tui/components/HelpOverlay.js';
import { CommandLine } from '../../src/tui/components/CommandLine.js';
import { FilterLine, applyFilter } from '../../src/tui/components/FilterLine.js';
import { ClockContext } from '../../src/tui/hooks/useNow.js';
import { BINDINGS, COMMANDS, footerHints, keyLabel, usage } from '../../src/tui/keymap.js';
import { NOW } from './fixtures.js';

describe('Header', () => {
  const header = (over: Partial<React.ComponentProps<typeof Header>> = {}) => render(
    <ClockContext.Provider value={() => NOW + 5 * 60_000}>
      <Header width={120} hubName="hub-a" target="unix:/var/lib/drc/api.sock" connection="connected"
        hostsConnected={3} hostsTotal={5} readonly={false} {...over} />
    </ClockContext.Provider>,
  );

  it('shows the hub, where it is, the connection, host counts and local and UTC clocks', () => {
    const frame = header().lastFrame()!;
    expect(frame).toContain('hub-a');
    expect(frame).toContain('unix:/var/lib/drc/api.sock');
    expect(frame).toContain('● connected');
    expect(frame).toContain('hosts 3/5');
    expect(frame).toMatch(/\d\d:\d\d local 12:05 UTC/);
    expect(frame.split('\n')).toHaveLength(1);
  });

  it('marks read-only and a lost connection, and drops the target when narrow', () => {
    const frame = header({ readonly: true, connection: 'lost', width: 80 }).lastFrame()!;
    expect(frame).toContain('read-only');
    expect(frame).toContain('hub connection lost');
    expect(frame).not.toContain('api.sock');
  });
});

describe('Footer', () => {
  it('shows the keys of the view first and fits the width', () => {
    const { lastFrame } = render(<Footer hints={footerHints(['tasks', 'table', 'global'], false)} width={60} />);
    const frame = lastFrame()!;
    expect(frame).toMatch(/^ ⏎ host {2}c cancel {2}R retry/);
    expect(frame.length).toBeLessThanOrEqual(60);
  });
});

describe('HelpOverlay', () => {
  it('lists every binding and command of the keymap', () => {
    const frame = render(<HelpOverlay width={200} height={60} readonly={false} />).lastFrame()!;
    for (const b of BINDINGS) {
      expect(frame, keyLabel(b)).toContain(keyLabel(b));
      expect(frame, b.help).toContain(b.help);
    }
    for (const c of COMMANDS) expect(frame).toContain(usage(c));
  });

  it('hides actions when read-only', () => {
    const frame = render(<HelpOverlay width={200} height={60} readonly />).lastFrame()!;
    expect(frame).toContain('read-only');
    expect(frame).not.toContain('full backup');
  });
});

describe('CommandLine and FilterLine', () => {
  it('shows the typed command with its completions', () => {
    const frame = render(<CommandLine text="ho" hostNames={['web-01']} />).lastFrame()!;
    expect(frame).toMatch(/^:ho/);
    expect(frame).toContain('hosts');
    expect(frame).toContain('host ');
  });

  it('offers host names after a command that takes one', () => {
    expect(render(<CommandLine text="host w" hostNames={['web-01', 'db-01']} />).lastFrame()).toContain('web-01');
  });

  it('filters by substring, case-insensitively, and ! inverts', () => {
    const names = ['web-01', 'WEB-02', 'db-01'];
    expect(applyFilter(names, 'web', (s) => s)).toEqual(['web-01', 'WEB-02']);
    expect(applyFilter(names, '!web', (s) => s)).toEqual(['db-01']);
    expect(applyFilter(names, '', (s) => s)).toBe(names);
    expect(render(<FilterLine text="!web" />).lastFrame()).toMatch(/^\/!web/);
  });
});
