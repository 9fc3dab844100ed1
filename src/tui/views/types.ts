// What every view receives: its place in the stack, its size, and its remembered UI state.
import type { TableUi } from '../hooks/useTableSelection.js';
import type { ViewRef } from '../route.js';

export interface ViewUi extends TableUi {
  /** the `/` filter of this view's table ('' = none, leading ! inverts) */
  filter: string;
  sortIndex: number;
  descending: boolean;
  /** wizards: the point chosen ('' = the hub's default, latest verified), null = not yet */
  point: string | null;
  /** wizards: the run started from this view, once it started */
  runId: number | null;
  /** drill and failover wizards: boot from the point over NBD, restore behind (qemu targets) */
  instant: boolean;
}

export const INITIAL_UI: ViewUi = {
  selectedKey: null, selectedIndex: 0, filter: '', sortIndex: 0, descending: false, point: null, runId: null, instant: false,
};

export interface ViewProps<V extends ViewRef = ViewRef> {
  view: V;
  width: number;
  height: number;
  ui: ViewUi;
  setUi: (patch: Partial<ViewUi>) => void;
}
