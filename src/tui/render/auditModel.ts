// How an audit entry reads in the cockpit: when, who, from where, what, the outcome.
import type { AuditEntryView } from '../../protocol/operator.js';
import type { Column } from '../components/Table.js';
import { formatTime } from '../components/format.js';
import type { Tone } from '../theme.js';

export function auditFrom(e: AuditEntryView): string {
  return [e.address, e.ssh ? `ssh ${e.ssh.split(' ')[0]}` : null].filter(Boolean).join(' ') || '—';
}

export function auditTone(e: AuditEntryView): Tone | undefined {
  if (e.outcome === 'forbidden' || e.outcome === 'refused' || e.outcome.startsWith('refused') || e.outcome.startsWith('failed')) return 'bad';
  return e.outcome === 'ok' ? undefined : 'warn';
}

export function auditSearchText(e: AuditEntryView): string {
  return [e.actor, e.action, e.target ?? '', e.outcome, e.address ?? '', e.ssh ?? ''].join(' ');
}

export function auditColumns(): Column<AuditEntryView>[] {
  return [
    { key: 'time', title: 'TIME', width: 19, cell: (e) => formatTime(e.time, true) },
    { key: 'who', title: 'WHO', width: 16, flex: 1, cell: (e) => e.actor },
    { key: 'from', title: 'FROM', width: 20, flex: 2, cell: auditFrom },
    { key: 'action', title: 'ACTION', width: 16, cell: (e) => e.action },
    { key: 'target', title: 'TARGET', width: 10, flex: 1, cell: (e) => e.target ?? '—' },
    { key: 'outcome', title: 'OUTCOME', width: 10, flex: 1, cell: (e) => e.outcome, tone: auditTone },
  ];
}
