// What a view may ask of the cockpit: navigate, show a message, open a dialog, or run a
// hub method. Views handle key actions (never raw keys) through useViewActions.
import { createContext, useContext, useLayoutEffect } from 'react';
import type { MethodName, OperatorMethods } from '../../protocol/operator.js';
import type { Action } from '../keymap.js';
import type { ViewRef } from '../route.js';
import type { CockpitState, LocalUpdate } from '../store.js';
import type { Update } from '../../protocol/operator.js';

export interface PickColumn {
  title: string;
  width: number;
  flex?: number;
  align?: 'left' | 'right';
}

export interface PickRow {
  key: string;
  cells: readonly string[];
}

export interface PickSpec {
  title: string;
  columns: readonly PickColumn[];
  rows: readonly PickRow[];
  empty: string;
  /** the row selected when the picker opens (default 0) */
  initial?: number;
  onPick: (row: PickRow) => void;
}

/** What a refused action says in a read-only cockpit. */
export const READONLY_MESSAGE = 'read-only: actions disabled';

export type MessageTone = 'ok' | 'bad' | 'info';

export interface Cockpit {
  readonly readonly: boolean;
  navigate(view: ViewRef): void;
  back(): void;
  notify(message: string, tone?: MessageTone): void;
  /** y confirms, anything else cancels */
  confirm(question: string, onYes: () => void): void;
  /** a one-line text input with an editable default; empty input cancels unless allowEmpty */
  ask(label: string, initial: string, onSubmit: (value: string) => void, opts?: { allowEmpty?: boolean }): void;
  pick(spec: PickSpec): void;
  /** calls the hub (refused when read-only) and reports the result in the status line */
  run<M extends MethodName>(method: M, params: OperatorMethods[M]['params'], describe: (result: OperatorMethods[M]['result']) => string): void;
  /**
   * Calls the hub and hands the result back (wizards need it); a failure is reported in
   * the status line and resolves to null. `mutating` calls are refused when read-only.
   */
  call<M extends MethodName>(method: M, params: OperatorMethods[M]['params'], opts?: { mutating?: boolean }): Promise<OperatorMethods[M]['result'] | null>;
  /** the store's state now (for actions: views render from useCockpitState) */
  state(): CockpitState;
  /** applies an answer to the store as if the hub had sent it (e.g. the run drill.start returned) */
  record(update: Update | LocalUpdate): void;
}

export const CockpitContext = createContext<Cockpit | null>(null);

export function useCockpit(): Cockpit {
  const c = useContext(CockpitContext);
  if (!c) throw new Error('useCockpit outside of the cockpit');
  return c;
}

export type ActionHandler = (action: Action) => boolean;

/** Where App looks for the current view's action handler. */
export const ViewActionsContext = createContext<{ current: ActionHandler | null }>({ current: null });

/** Registers the current view's handler; it returns false for actions it ignores. */
export function useViewActions(handler: ActionHandler): void {
  const slot = useContext(ViewActionsContext);
  useLayoutEffect(() => {
    slot.current = handler;
    return () => { if (slot.current === handler) slot.current = null; };
  });
}
