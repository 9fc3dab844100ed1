// Every key binding and `:` command of the cockpit, in one table. Footer hints and the
// help overlay are generated from it, so a binding that exists is a binding that shows.
// The global and table keys are here; each view's own keys and command come from its
// entry in views/registry.ts.
import type { Key } from 'ink';
import type { ViewKind, ViewRef } from './route.js';
import { VIEWS, VIEW_KINDS, viewDef } from './views/registry.js';

/** 'global', 'table', or the kind of the view whose keys they are. */
export type Scope = 'global' | 'table' | ViewKind;

export type Action =
  | 'command' | 'filter' | 'help' | 'back' | 'quit'
  | 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp'
  | 'open' | 'sort' | 'sortReverse' | 'showHosts' | 'showTasks' | 'showPoints'
  | 'backup' | 'fullBackup' | 'restore' | 'cancel' | 'retry' | 'repair'
  | 'showAlarms' | 'ack' | 'resolve' | 'runNow' | 'drill' | 'failover' | 'failback' | 'start' | 'pass' | 'fail' | 'stop' | 'instant';

export interface Binding {
  scope: Scope;
  keys: readonly string[];
  action: Action;
  help: string;
  /** starts work on the hub: hidden and refused when read-only */
  mutating?: boolean;
  /** the word shown in the footer of views in this scope; none = help only */
  short?: string;
}

const GLOBAL_BINDINGS: readonly Binding[] = [
  { scope: 'global', keys: [':'], action: 'command', help: 'command mode', short: 'cmd' },
  { scope: 'global', keys: ['/'], action: 'filter', help: 'filter rows (/!text inverts)', short: 'filter' },
  { scope: 'global', keys: ['?'], action: 'help', help: 'help', short: 'help' },
  { scope: 'global', keys: ['esc'], action: 'back', help: 'back / clear filter', short: 'back' },
  { scope: 'global', keys: ['q', 'ctrl+c'], action: 'quit', help: 'quit', short: 'quit' },
  { scope: 'table', keys: ['j', 'down'], action: 'down', help: 'next row' },
  { scope: 'table', keys: ['k', 'up'], action: 'up', help: 'previous row' },
  { scope: 'table', keys: ['g'], action: 'top', help: 'first row' },
  { scope: 'table', keys: ['G'], action: 'bottom', help: 'last row' },
  { scope: 'table', keys: ['pgdn', 'ctrl+f'], action: 'pageDown', help: 'page down' },
  { scope: 'table', keys: ['pgup', 'ctrl+b'], action: 'pageUp', help: 'page up' },
];

export const BINDINGS: readonly Binding[] = [
  ...GLOBAL_BINDINGS,
  ...VIEW_KINDS.flatMap((kind) => (viewDef(kind).keys?.bindings ?? []).map((b) => ({ ...b, scope: kind }))),
];

export const SCOPE_TITLES: Readonly<Partial<Record<Scope, string>>> = {
  global: 'Everywhere', table: 'Tables',
  ...Object.fromEntries(VIEW_KINDS.flatMap((kind) => { const k = viewDef(kind).keys; return k ? [[kind, k.title]] : []; })),
};

/** Where a view's keys are looked up, first to last (then 'global'). */
export function viewScopes(kind: ViewKind): readonly Scope[] {
  const keys = viewDef(kind).keys;
  return keys ? (keys.table ? [kind, 'table'] : [kind]) : [];
}

export interface CommandSpec {
  name: string;
  aliases: readonly string[];
  arg?: { name: string; optional: boolean; /** several words, each a host name or glob */ many?: boolean };
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  ...VIEW_KINDS.flatMap((kind) => { const c = viewDef(kind).command; return c ? [c] : []; }),
  { name: 'logs', aliases: [], help: 'export hub and agent logs to a .tar.gz' },
  { name: 'help', aliases: [], help: 'this help' },
  { name: 'quit', aliases: ['q'], help: 'leave the cockpit' },
];

export type ParsedCommand =
  | { kind: 'view'; view: ViewRef }
  | { kind: 'help' }
  | { kind: 'logs' }
  | { kind: 'quit' }
  | { kind: 'error'; message: string };

export function findCommand(word: string): CommandSpec | undefined {
  const w = word.toLowerCase();
  return COMMANDS.find((c) => c.name === w || c.aliases.includes(w));
}

export function parseCommand(text: string, hostNames: readonly string[]): ParsedCommand {
  const [word = '', arg, ...rest] = text.trim().split(/\s+/);
  if (word === '') return { kind: 'error', message: 'empty command (try :help)' };
  const spec = findCommand(word);
  if (!spec) return { kind: 'error', message: `unknown command: ${word} (try :help)` };
  if (spec.arg?.many) {
    if (arg === undefined) return { kind: 'error', message: `usage: ${usage(spec)}` };
    const hosts = expandHosts([arg, ...rest], hostNames);
    if (typeof hosts === 'string') return { kind: 'error', message: hosts };
    return openView(spec.name, hosts);
  }
  if (rest.length > 0 || (arg !== undefined && !spec.arg)) return { kind: 'error', message: `usage: ${usage(spec)}` };
  if (spec.arg && !spec.arg.optional && arg === undefined) return { kind: 'error', message: `usage: ${usage(spec)}` };
  if (arg !== undefined && !hostNames.includes(arg)) return { kind: 'error', message: `no such host: ${arg}` };
  switch (spec.name) {
    case 'logs': return { kind: 'logs' };
    case 'help': return { kind: 'help' };
    case 'quit': return { kind: 'quit' };
    default: return openView(spec.name, arg === undefined ? [] : [arg]);
  }
}

function openView(command: string, args: readonly string[]): ParsedCommand {
  const kind = VIEW_KINDS.find((k) => VIEWS[k].command?.name === command);
  const open = kind === undefined ? undefined : viewDef(kind).command?.open;
  return open ? { kind: 'view', view: open(args) } : { kind: 'error', message: `unknown command: ${command} (try :help)` };
}

/** Host names and globs (`*`, `?`) to the hosts they name, in order, once each; or an error. */
export function expandHosts(words: readonly string[], hostNames: readonly string[]): string[] | string {
  const out: string[] = [];
  for (const w of words) {
    const re = new RegExp(`^${w.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const hits = hostNames.filter((h) => re.test(h));
    if (hits.length === 0) return w.includes('*') || w.includes('?') ? `no host matches ${w}` : `no such host: ${w}`;
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

export function usage(spec: CommandSpec): string {
  const names = [spec.name, ...spec.aliases].map((n) => `:${n}`).join('|');
  if (!spec.arg) return names;
  return spec.arg.optional ? `${names} [${spec.arg.name}]` : `${names} ${spec.arg.name}`;
}

export interface Completion {
  /** the text after completing as far as is unambiguous */
  text: string;
  candidates: string[];
}

/** Tab completion of command names and aliases, then of host names for commands taking one. */
export function completeCommand(text: string, hostNames: readonly string[]): Completion {
  const space = text.indexOf(' ');
  if (space < 0) {
    const words = COMMANDS.flatMap((c) => [c.name, ...c.aliases]).filter((w) => w.startsWith(text.toLowerCase()));
    const exact = words.length === 1 ? findCommand(words[0]!) : undefined;
    if (exact) return { text: words[0]! + (exact.arg ? ' ' : ''), candidates: words };
    return { text: commonPrefix(words) || text, candidates: words };
  }
  const spec = findCommand(text.slice(0, space));
  if (!spec?.arg) return { text, candidates: [] };
  const head = text.slice(0, space + 1);
  const partial = text.slice(space + 1).trimStart();
  const hosts = hostNames.filter((h) => h.startsWith(partial));
  if (hosts.length === 1) return { text: head + hosts[0]!, candidates: hosts };
  return { text: head + (commonPrefix(hosts) || partial), candidates: hosts };
}

function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let prefix = words[0]!;
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** Ink's (input, key) as one name as written in BINDINGS: 'j', 'G', 'enter', 'ctrl+c'. */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input) return `ctrl+${input}`;
  return input;
}

/** The binding a key triggers in the first scope (in order) that binds it. */
export function bindingFor(scopes: readonly Scope[], name: string): Binding | undefined {
  for (const scope of scopes) {
    const b = BINDINGS.find((x) => x.scope === scope && x.keys.includes(name));
    if (b) return b;
  }
  return undefined;
}

const KEY_LABELS: Record<string, string> = { up: '↑', down: '↓', enter: '⏎' };

export function keyLabel(b: Binding): string {
  return b.keys.map((k) => KEY_LABELS[k] ?? k).join('/');
}

export interface HelpSection {
  title: string;
  entries: { keys: string; help: string }[];
}

/** The help overlay's content: every binding by scope, then every command. */
export function helpSections(readonly: boolean): HelpSection[] {
  const scopes = Object.keys(SCOPE_TITLES) as Scope[];
  const sections: HelpSection[] = scopes.map((scope) => ({
    title: SCOPE_TITLES[scope] ?? scope,
    entries: BINDINGS.filter((b) => b.scope === scope && !(readonly && b.mutating))
      .map((b) => ({ keys: keyLabel(b), help: b.help })),
  })).filter((s) => s.entries.length > 0);
  sections.push({ title: 'Commands', entries: COMMANDS.map((c) => ({ keys: usage(c), help: c.help })) });
  return sections;
}

/** The footer: the view's own keys first, then the global ones. */
export function footerHints(scopes: readonly Scope[], readonly: boolean): { keys: string; help: string }[] {
  return scopes.flatMap((scope) => BINDINGS.filter((b) => b.scope === scope && b.short && !(readonly && b.mutating)))
    .map((b) => ({ keys: KEY_LABELS[b.keys[0]!] ?? b.keys[0]!, help: b.short ?? '' }));
}
