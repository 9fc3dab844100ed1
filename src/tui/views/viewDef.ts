// What one cockpit view declares about itself: title, `:command` and aliases, its keys,
// whether it filters or starts work, what it asks the hub while shown, and its component.
// The shell, keymap, polls and App all read these; views/registry.ts lists them.
import type React from 'react';
import type { CockpitClient } from '../client.js';
import type { Action, CommandSpec } from '../keymap.js';
import type { ViewKind, ViewOf } from '../route.js';
import type { CockpitState, LocalUpdate } from '../store.js';
import type { Update } from '../../protocol/operator.js';
import type { ViewProps, ViewUi } from './types.js';

export interface ViewBinding {
  keys: readonly string[];
  action: Action;
  help: string;
  /** starts work on the hub: hidden and refused when read-only */
  mutating?: boolean;
  /** the word shown in the footer; none = help only */
  short?: string;
}

export interface ViewCommand<K extends ViewKind> extends CommandSpec {
  /** the view the command opens; args are host names (checked, globs expanded) */
  open(args: readonly string[]): ViewOf<K>;
}

/** Something the hub does not push, asked while the view is shown. */
export interface ViewFeed<K extends ViewKind> {
  /** the answers as store updates; null = nothing to ask now */
  fetch(client: CockpitClient, view: ViewOf<K>, ui: ViewUi): Promise<readonly (Update | LocalUpdate)[]> | null;
  /** asked again whenever this changes (default: once per opening) */
  key?(view: ViewOf<K>, ui: ViewUi): string;
  /** asked again every so many ms; none = only when the key changes */
  every?: number;
  /** asked again soon when this part of the state changes */
  follows?(s: CockpitState): unknown;
  /** failures are not shown (the view says what is missing) */
  quiet?: boolean;
}

export interface ViewDef<K extends ViewKind> {
  title(view: ViewOf<K>): string;
  /** the view's own key bindings, under this title in the help; table: the row keys too */
  keys?: { title: string; table?: boolean; bindings: readonly ViewBinding[] };
  /** `/` filters its rows */
  filterable?: boolean;
  /** starts work on the hub: a read-only cockpit cannot open it */
  mutating?: boolean;
  command?: ViewCommand<K>;
  feeds?: readonly ViewFeed<K>[];
  component: React.ComponentType<ViewProps<ViewOf<K>>>;
}
