// Row selection that follows the selected row's key across live re-sorts, and the
// table-movement actions (j/k/g/G/PgUp/PgDn).
import type { Action } from '../keymap.js';

export interface TableUi {
  selectedKey: string | null;
  selectedIndex: number;
}

export interface Selection<R> {
  index: number;
  row: R | undefined;
  /** handles a movement action; false for any other action */
  move(action: Action, pageSize: number): boolean;
}

export function useTableSelection<R>(
  rows: readonly R[],
  rowKey: (r: R) => string,
  ui: TableUi,
  setUi: (patch: Partial<TableUi>) => void,
): Selection<R> {
  let index = ui.selectedKey !== null ? rows.findIndex((r) => rowKey(r) === ui.selectedKey) : -1;
  if (index < 0) index = rows.length === 0 ? -1 : Math.max(0, Math.min(ui.selectedIndex, rows.length - 1));
  const move = (action: Action, pageSize: number): boolean => {
    let next: number;
    switch (action) {
      case 'down': next = index + 1; break;
      case 'up': next = index - 1; break;
      case 'top': next = 0; break;
      case 'bottom': next = rows.length - 1; break;
      case 'pageDown': next = index + Math.max(1, pageSize); break;
      case 'pageUp': next = index - Math.max(1, pageSize); break;
      default: return false;
    }
    if (rows.length === 0) return true;
    next = Math.max(0, Math.min(rows.length - 1, next));
    setUi({ selectedIndex: next, selectedKey: rowKey(rows[next]!) });
    return true;
  };
  return { index, row: index >= 0 ? rows[index] : undefined, move };
}
