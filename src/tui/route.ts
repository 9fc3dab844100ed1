// Where the cockpit can be: one entry of the view stack.
export type ViewRef =
  | { kind: 'overview' }
  | { kind: 'hosts' }
  | { kind: 'host'; host: string }
  | { kind: 'tasks' }
  | { kind: 'points'; host: string | null };

export function sameView(a: ViewRef, b: ViewRef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'host' && b.kind === 'host') return a.host === b.host;
  if (a.kind === 'points' && b.kind === 'points') return a.host === b.host;
  return true;
}

export function viewTitle(v: ViewRef): string {
  switch (v.kind) {
    case 'overview': return 'Overview';
    case 'hosts': return 'Hosts';
    case 'host': return `Host ${v.host}`;
    case 'tasks': return 'Tasks';
    case 'points': return v.host ? `Points of ${v.host}` : 'Points';
  }
}
