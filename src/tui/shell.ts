// The shell's state machine: the view stack (Esc = back), prompts (`:` command, `/`
// filter, y/n confirm, text input), help, the picker, and where each key goes.
import { useCallback, useMemo, useRef, useState } from 'react';
import type { CockpitClient } from './client.js';
import { editLine } from './components/lineEdit.js';
import type { ActionHandler, Cockpit, MessageTone, PickSpec } from './hooks/useCockpit.js';
import type { KeyPress } from './input.js';
import { bindingFor, completeCommand, parseCommand, viewScopes } from './keymap.js';
import { sameView, type ViewRef } from './route.js';
import type { CockpitStore } from './store.js';
import { exportLogs } from '../client/log-export.js';
import { VIEW_KINDS, viewDef } from './views/registry.js';
import { INITIAL_UI, type ViewUi } from './views/types.js';

export { READONLY_MESSAGE } from './hooks/useCockpit.js';
import { READONLY_MESSAGE } from './hooks/useCockpit.js';
const MAX_STACK = 32;

/** the kinds whose rows `/` filters, for the message where it does not */
const FILTERABLE_KINDS = VIEW_KINDS.filter((k) => viewDef(k).filterable).join(', ');

export interface Entry {
  id: number;
  view: ViewRef;
  ui: ViewUi;
}

export type Prompt =
  | { kind: 'command'; text: string }
  | { kind: 'filter'; text: string }
  | { kind: 'confirm'; question: string; onYes: () => void }
  | { kind: 'ask'; label: string; text: string; onSubmit: (value: string) => void; allowEmpty?: boolean };

export interface ShellState {
  stack: readonly Entry[];
  prompt: Prompt | null;
  help: boolean;
  helpOffset: number;
  pick: { spec: PickSpec; selected: number } | null;
}

export interface ShellDeps {
  client: CockpitClient;
  store: CockpitStore;
  readonly: boolean;
  notify: (text: string, tone?: MessageTone) => void;
  quit: (reason: 'quit') => void;
  initialView: ViewRef;
  /** how far the help overlay can scroll at the current size */
  helpMaxOffset: number;
}

let nextId = 1;
const entry = (view: ViewRef): Entry => ({ id: nextId++, view, ui: INITIAL_UI });

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface Shell {
  state: ShellState;
  cockpit: Cockpit;
  /** where the current view registers its action handler */
  viewActions: { current: ActionHandler | null };
  setUi(id: number, patch: Partial<ViewUi>): void;
  handleKey(k: KeyPress): void;
}

export function useShell(deps: ShellDeps): Shell {
  const [state, setState] = useState<ShellState>(() => ({ stack: [entry(deps.initialView)], prompt: null, help: false, helpOffset: 0, pick: null }));
  // keys of one chunk are handled in a row, each must see the state the previous left
  const ref = useRef(state);
  const depsRef = useRef(deps);
  depsRef.current = deps;
  const viewActions = useMemo<{ current: ActionHandler | null }>(() => ({ current: null }), []);
  const update = useCallback((f: (s: ShellState) => ShellState) => {
    ref.current = f(ref.current);
    setState(ref.current);
  }, []);
  const setUi = useCallback((id: number, patch: Partial<ViewUi>) => update((s) => ({
    ...s, stack: s.stack.map((e) => (e.id === id ? { ...e, ui: { ...e.ui, ...patch } } : e)),
  })), [update]);
  const setPrompt = (prompt: Prompt | null): void => update((s) => ({ ...s, prompt }));

  const cockpit = useMemo<Cockpit>(() => ({
    readonly: deps.readonly,
    navigate: (view) => update((s) => {
      if (viewDef(view).mutating && depsRef.current.readonly) {
        depsRef.current.notify(READONLY_MESSAGE, 'bad');
        return s;
      }
      if (sameView(s.stack[s.stack.length - 1]!.view, view)) return s;
      if (view.kind === 'overview') return { ...s, stack: [s.stack[0]!.view.kind === 'overview' ? s.stack[0]! : entry(view)] };
      return { ...s, stack: [...s.stack, entry(view)].slice(-MAX_STACK) };
    }),
    back: () => update((s) => (s.stack.length > 1 ? { ...s, stack: s.stack.slice(0, -1) } : s)),
    notify: (text, tone) => depsRef.current.notify(text, tone),
    confirm: (question, onYes) => update((s) => ({ ...s, prompt: { kind: 'confirm', question, onYes } })),
    ask: (label, initial, onSubmit, opts) => update((s) => ({
      ...s, prompt: { kind: 'ask', label, text: initial, onSubmit, allowEmpty: opts?.allowEmpty ?? false },
    })),
    pick: (spec) => update((s) => ({
      ...s, pick: { spec, selected: Math.max(0, Math.min(spec.rows.length - 1, spec.initial ?? 0)) },
    })),
    call: (method, params, opts) => {
      const d = depsRef.current;
      if (opts?.mutating && d.readonly) { d.notify(READONLY_MESSAGE, 'bad'); return Promise.resolve(null); }
      return d.client.call(method, params).catch((e: unknown) => {
        depsRef.current.notify(`${method} failed: ${errorText(e)}`, 'bad');
        return null;
      });
    },
    record: (u) => depsRef.current.store.apply(u),
    state: () => depsRef.current.store.getState(),
    run: (method, params, describe) => {
      const d = depsRef.current;
      if (d.readonly) { d.notify(READONLY_MESSAGE, 'bad'); return; }
      d.client.call(method, params).then(
        (result) => depsRef.current.notify(describe(result), 'ok'),
        (e: unknown) => depsRef.current.notify(`${method} failed: ${errorText(e)}`, 'bad'),
      );
    },
  }), [deps.readonly, update]);

  const hostNames = (): string[] => depsRef.current.store.getState().hosts.map((h) => h.name);

  function runCommand(text: string): void {
    const parsed = parseCommand(text, hostNames());
    if (parsed.kind === 'view') cockpit.navigate(parsed.view);
    else if (parsed.kind === 'help') update((s) => ({ ...s, help: true, helpOffset: 0 }));
    else if (parsed.kind === 'logs') exportLogsTo(cockpit, depsRef.current.client);
    else if (parsed.kind === 'quit') depsRef.current.quit('quit');
    else depsRef.current.notify(parsed.message, 'bad');
  }

  function promptKey(p: Prompt, k: KeyPress, top: Entry): void {
    if (p.kind === 'confirm') {
      setPrompt(null);
      if (k.name === 'y' || k.name === 'Y') p.onYes();
      else cockpit.notify('cancelled');
      return;
    }
    if (k.name === 'esc') {
      setPrompt(null);
      if (p.kind === 'filter') setUi(top.id, { filter: '', selectedIndex: 0, selectedKey: null });
      if (p.kind === 'ask') cockpit.notify('cancelled');
      return;
    }
    if (k.name === 'enter') {
      setPrompt(null);
      if (p.kind === 'command') runCommand(p.text);
      if (p.kind === 'ask') {
        if (p.text.trim() === '' && p.allowEmpty) p.onSubmit('');
        else if (p.text.trim() === '') cockpit.notify('cancelled: nothing entered');
        else p.onSubmit(p.text.trim());
      }
      return;
    }
    if (k.name === 'tab' && p.kind === 'command') {
      setPrompt({ ...p, text: completeCommand(p.text, hostNames()).text });
      return;
    }
    if (k.name === 'backspace' && p.text === '' && p.kind !== 'ask') { setPrompt(null); return; }
    const text = editLine(p.text, k.name, k.input);
    if (text === null) return;
    setPrompt({ ...p, text });
    if (p.kind === 'filter') setUi(top.id, { filter: text, selectedIndex: 0, selectedKey: null });
  }

  function pickKey(pick: NonNullable<ShellState['pick']>, k: KeyPress): void {
    const count = pick.spec.rows.length;
    if (k.name === 'esc') { update((s) => ({ ...s, pick: null })); cockpit.notify('cancelled'); return; }
    if (k.name === 'enter') {
      update((s) => ({ ...s, pick: null }));
      const row = pick.spec.rows[pick.selected];
      if (row) pick.spec.onPick(row);
      return;
    }
    if (k.name === 'q') { depsRef.current.quit('quit'); return; }
    const moves: Record<string, number> = { down: 1, up: -1, top: -count, bottom: count, pageDown: 10, pageUp: -10 };
    const b = bindingFor(['table'], k.name);
    const delta = b ? moves[b.action] : undefined;
    if (delta === undefined || count === 0) return;
    const selected = Math.max(0, Math.min(count - 1, pick.selected + delta));
    update((s) => ({ ...s, pick: s.pick ? { ...s.pick, selected } : null }));
  }

  function helpKey(k: KeyPress): void {
    if (k.name === 'esc' || k.name === '?') { update((x) => ({ ...x, help: false })); return; }
    if (k.name === 'q') { depsRef.current.quit('quit'); return; }
    const b = bindingFor(['table'], k.name);
    const max = depsRef.current.helpMaxOffset;
    const moves: Record<string, number> = { down: 1, up: -1, top: -max, bottom: max, pageDown: 10, pageUp: -10 };
    const delta = b ? moves[b.action] : undefined;
    if (delta !== undefined) update((x) => ({ ...x, helpOffset: Math.max(0, Math.min(max, x.helpOffset + delta)) }));
  }

  function handleKey(k: KeyPress): void {
    const s = ref.current;
    const d = depsRef.current;
    const top = s.stack[s.stack.length - 1]!;
    if (k.name === 'ctrl+c') { d.quit('quit'); return; }
    if (s.prompt) { promptKey(s.prompt, k, top); return; }
    if (s.pick) { pickKey(s.pick, k); return; }
    if (s.help) { helpKey(k); return; }
    const b = bindingFor([...viewScopes(top.view.kind), 'global'], k.name);
    if (!b) return;
    if (b.mutating && d.readonly) { d.notify(READONLY_MESSAGE, 'bad'); return; }
    if (b.scope !== 'global') { viewActions.current?.(b.action); return; }
    switch (b.action) {
      case 'command': setPrompt({ kind: 'command', text: '' }); break;
      case 'filter':
        if (viewDef(top.view).filterable) setPrompt({ kind: 'filter', text: top.ui.filter });
        else d.notify(`nothing to filter here: / works in tables (${FILTERABLE_KINDS})`);
        break;
      case 'help': update((x) => ({ ...x, help: true, helpOffset: 0 })); break;
      case 'back':
        if (top.ui.filter !== '') setUi(top.id, { filter: '' });
        else cockpit.back();
        break;
      case 'quit': d.quit('quit'); break;
      default: break;
    }
  }

  return { state, cockpit, viewActions, setUi, handleKey };
}

/** `:logs`: asks where to write the bundle, then has the hub collect it. */
function exportLogsTo(cockpit: Cockpit, client: CockpitClient): void {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  cockpit.ask('write logs bundle to', `./drc-logs-${stamp}.tar.gz`, (out) => {
    cockpit.notify(`collecting logs for ${out}…`);
    exportLogs(client, out).then(
      (r) => cockpit.notify(`wrote ${out}: ${r.files.length} files${r.errors.length ? `, ${r.errors.length} errors: ${r.errors[0]}` : ''}`, r.errors.length ? 'bad' : 'ok'),
      (e: unknown) => cockpit.notify(`logs export failed: ${errorText(e)}`, 'bad'),
    );
  });
}
