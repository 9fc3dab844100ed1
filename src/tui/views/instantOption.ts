// The --instant option of the drill and failover wizards: off by default, toggled with i
// before the start is confirmed, and only on a qemu target (the hub boots the point there
// from an NBD export and restores behind it). The summary and the question say which it is.
import type { RunTargetView } from '../../protocol/operator.js';
import type { Cockpit } from '../hooks/useCockpit.js';
import type { ViewUi } from './types.js';

/** The summary line of the option, or null when the target cannot boot anything. */
export function instantLine(target: RunTargetView, on: boolean): string | null {
  if (target.type !== 'qemu') return null;
  return on
    ? `instant recovery ON: boots on ${target.name ?? 'qemu'} from the point over NBD at once, full restore behind (i: off)`
    : `instant recovery off: full restore, then boot on ${target.name ?? 'qemu'} (i: boot from the point at once)`;
}

/** What the start question adds: nothing unless instant recovery is on. */
export const instantSuffix = (on: boolean): string => (on ? ' with instant recovery' : '');

/** The start parameter: only sent when on. */
export const instantParam = (on: boolean): { instant?: true } => (on ? { instant: true } : {});

export function toggleInstant(cockpit: Cockpit, target: RunTargetView | null, ui: Pick<ViewUi, 'instant' | 'runId'>, setUi: (patch: Partial<ViewUi>) => void, start: string): void {
  if (ui.runId !== null) { cockpit.notify(`run ${ui.runId} already started`); return; }
  if (!target) { cockpit.notify('waiting for the hub…'); return; }
  if (target.type !== 'qemu') { cockpit.notify(`instant recovery boots the point on a qemu target; ${target.name ?? 'the default target'} is a ${target.type} target`, 'bad'); return; }
  setUi({ instant: !ui.instant });
  cockpit.notify(`instant recovery ${ui.instant ? 'off' : 'on'} · ${start}`);
}
