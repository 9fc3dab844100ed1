import { describe, expect, it } from 'vitest';
import { BINDINGS, COMMANDS, helpSections, parseCommand, usage } from '../../src/tui/keymap.js';
import { VIEWS, VIEW_KINDS, viewTitle } from '../../src/tui/views/registry.js';

const HOSTS = ['web-01', 'web-02', 'db-01'];

describe('view registry', () => {
  it('opens each view by its command and every alias, titled as the registry says', () => {
    for (const kind of VIEW_KINDS) {
      const cmd = VIEWS[kind].command;
      if (!cmd) continue;
      for (const word of [cmd.name, ...cmd.aliases]) {
        const parsed = parseCommand(cmd.arg ? `${word} web-01` : word, HOSTS);
        expect(parsed.kind, `:${word}`).toBe('view');
        if (parsed.kind !== 'view') continue;
        expect(parsed.view.kind).toBe(kind);
        expect(viewTitle(parsed.view)).not.toBe('');
      }
      expect(COMMANDS.map(usage)).toContain(usage(cmd));
    }
  });

  it('lists each view\'s keys in the help under the view\'s title, and only there', () => {
    const help = helpSections(false);
    for (const kind of VIEW_KINDS) {
      const keys = VIEWS[kind].keys;
      if (!keys) continue;
      const section = help.find((s) => s.title === keys.title);
      expect(section?.entries.map((e) => e.help), kind).toEqual(keys.bindings.map((b) => b.help));
      expect(BINDINGS.filter((b) => b.scope === kind)).toHaveLength(keys.bindings.length);
    }
  });

  it('hides the keys that start work from a read-only cockpit\'s help', () => {
    const readonlyHelp = helpSections(true).flatMap((s) => s.entries.map((e) => e.help));
    const mutating = VIEW_KINDS.flatMap((k) => (VIEWS[k].keys?.bindings ?? []).filter((b) => b.mutating).map((b) => b.help));
    expect(mutating.length).toBeGreaterThan(0);
    for (const h of mutating) expect(readonlyHelp).not.toContain(h);
  });
});
