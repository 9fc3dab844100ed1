// Where the cockpit can be: one entry of the view stack.
export type ViewRef =
  | { kind: 'overview' }
  | { kind: 'hosts' }
  | { kind: 'host'; host: string }
  | { kind: 'tasks' }
  | { kind: 'points'; host: string | null }
  | { kind: 'alarms' }
  | { kind: 'schedules' }
  | { kind: 'reports' }
  | { kind: 'report'; id: number }
  | { kind: 'drill'; hosts: readonly string[] }
  | { kind: 'failover'; host: string };

export function sameView(a: ViewRef, b: ViewRef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'host' && b.kind === 'host') return a.host === b.host;
  if (a.kind === 'points' && b.kind === 'points') return a.host === b.host;
  if (a.kind === 'report' && b.kind === 'report') return a.id === b.id;
  if (a.kind === 'drill' && b.kind === 'drill') return a.hosts.join(' ') === b.hosts.join(' ');
  if (a.kind === 'failover' && b.kind === 'failover') return a.host === b.host;
  return true;
}

export function viewTitle(v: ViewRef): string {
  switch (v.kind) {
    case 'overview': return 'Overview';
    case 'hosts': return 'Hosts';
    case 'host': return `Host ${v.host}`;
    case 'tasks': return 'Tasks';
    case 'points': return v.host ? `Points of ${v.host}` : 'Points';
    case 'alarms': return 'Alarms';
    case 'schedules': return 'Schedules';
    case 'reports': return 'Reports';
    case 'report': return `Report ${v.id}`;
    case 'drill': return `Drill ${v.hosts.join(', ')}`;
    case 'failover': return `Failover ${v.host}`;
  }
}
