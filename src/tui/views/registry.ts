// Every cockpit view, one line each. A new view is its own file (component, ViewParams
// entry and ViewDef) plus one line here; route, keymap, shell, polls and App read this.
import type { ViewKind, ViewRef } from '../route.js';
import { alarmsView } from './Alarms.js';
import { consoleView } from './Console.js';
import { auditView } from './Audit.js';
import { drillView } from './Drill.js';
import { failbackView } from './Failback.js';
import { failoverView } from './Failover.js';
import { hostView } from './HostDetail.js';
import { hostsView } from './Hosts.js';
import { instancesView } from './Instances.js';
import { overviewView } from './Overview.js';
import { pointsView } from './Points.js';
import { reportView, reportsView } from './Reports.js';
import { schedulesView } from './Schedules.js';
import { tasksView } from './Tasks.js';
import type { ViewDef } from './viewDef.js';

/** In this order in the help and the command list. */
export const VIEWS: { readonly [K in ViewKind]: ViewDef<K> } = {
  overview: overviewView,
  hosts: hostsView,
  host: hostView,
  tasks: tasksView,
  points: pointsView,
  alarms: alarmsView,
  schedules: schedulesView,
  audit: auditView,
  reports: reportsView,
  instances: instancesView,
  console: consoleView,
  report: reportView,
  drill: drillView,
  failover: failoverView,
  failback: failbackView,
};

export const VIEW_KINDS = Object.keys(VIEWS) as ViewKind[];

/** The definition of a view's kind, for code that holds any view. */
export function viewDef(view: ViewRef | ViewKind): ViewDef<ViewKind> {
  // VIEWS maps each kind to its own ViewDef, so the entry fits every view of that kind
  return VIEWS[typeof view === 'string' ? view : view.kind] as unknown as ViewDef<ViewKind>;
}

export function viewTitle(view: ViewRef): string {
  return viewDef(view).title(view);
}
