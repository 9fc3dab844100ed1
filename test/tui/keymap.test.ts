import { describe, expect, it } from 'vitest';
import {
  BINDINGS, COMMANDS, bindingFor, completeCommand, footerHints, helpSections, parseCommand,
} from '../../src/tui/keymap.js';

const HOSTS = ['web-01', 'web-02', 'db-01'];

describe('keymap', () => {
  it('binds no key twice in one scope, and no view key shadows a global one', () => {
    const seen = new Set<string>();
    const globals = new Set(BINDINGS.filter((b) => b.scope === 'global').flatMap((b) => b.keys));
    for (const b of BINDINGS) {
      for (const k of b.keys) {
        expect(seen.has(`${b.scope}:${k}`), `${k} twice in ${b.scope}`).toBe(false);
        seen.add(`${b.scope}:${k}`);
        if (b.scope !== 'global') expect(globals.has(k), `${k} shadows a global key`).toBe(false);
      }
    }
  });

  it('parses every command and alias the cockpit documents', () => {
    expect(parseCommand('hosts', HOSTS)).toEqual({ kind: 'view', view: { kind: 'hosts' } });
    expect(parseCommand('ho', HOSTS)).toEqual({ kind: 'view', view: { kind: 'hosts' } });
    expect(parseCommand('jobs', HOSTS)).toEqual({ kind: 'view', view: { kind: 'tasks' } });
    expect(parseCommand('tasks', HOSTS)).toEqual({ kind: 'view', view: { kind: 'tasks' } });
    expect(parseCommand('ov', HOSTS)).toEqual({ kind: 'view', view: { kind: 'overview' } });
    expect(parseCommand('points db-01', HOSTS)).toEqual({ kind: 'view', view: { kind: 'points', host: 'db-01' } });
    expect(parseCommand('points', HOSTS)).toEqual({ kind: 'view', view: { kind: 'points', host: null } });
    expect(parseCommand('host web-02', HOSTS)).toEqual({ kind: 'view', view: { kind: 'host', host: 'web-02' } });
    expect(parseCommand('q', HOSTS)).toEqual({ kind: 'quit' });
    expect(parseCommand('quit', HOSTS)).toEqual({ kind: 'quit' });
  });

  it('explains bad commands in one line', () => {
    expect(parseCommand('nope', HOSTS)).toEqual({ kind: 'error', message: 'unknown command: nope (try :help)' });
    expect(parseCommand('host', HOSTS)).toEqual({ kind: 'error', message: 'usage: :host NAME' });
    expect(parseCommand('host zz', HOSTS)).toEqual({ kind: 'error', message: 'no such host: zz' });
  });

  it('completes command names, then host names', () => {
    expect(completeCommand('hosts'.slice(0, 3), HOSTS).candidates).toEqual(['hosts', 'host']);
    expect(completeCommand('hos', HOSTS).text).toBe('host');
    expect(completeCommand('ta', HOSTS).text).toBe('tasks');
    expect(completeCommand('host w', HOSTS).text).toBe('host web-0');
    expect(completeCommand('host d', HOSTS).text).toBe('host db-01');
  });

  it('finds view bindings before global ones and hides actions when read-only', () => {
    expect(bindingFor(['host', 'global'], 'b')?.action).toBe('backup');
    expect(bindingFor(['host', 'global'], 'q')?.action).toBe('quit');
    expect(footerHints(['host', 'global'], true).map((h) => h.keys)).not.toContain('b');
    const help = helpSections(true).flatMap((s) => s.entries.map((e) => e.help));
    expect(help).not.toContain('backup now');
    expect(helpSections(false).at(-1)!.entries).toHaveLength(COMMANDS.length);
  });
});
