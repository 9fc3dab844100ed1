// The audit trail in a drill, takeover or failback report: who started the run, from where
// (the socket, the TCP peer, SSH_CLIENT), every pre-check and confirmation with its time.
import type { RecoveryReport, RunAuditView } from '../protocol/recovery.js';

export const AUDIT_HEADERS = ['Time', 'Who', 'From', 'Action', 'Outcome', 'Detail'];

/** `unix socket (ssh 10.0.0.5 52100 22)`, `TCP 10.0.0.9:41822`, `hub` */
export function auditFrom(a: Pick<RunAuditView, 'address' | 'ssh'>): string {
  const where = a.address === null ? 'hub' : a.address === 'unix' ? 'unix socket' : `TCP ${a.address}`;
  return a.ssh ? `${where} (ssh ${a.ssh})` : where;
}

export function auditRows(r: RecoveryReport): string[][] {
  return (r.audit ?? []).map((a) => [a.time, a.actor, auditFrom(a), a.action, a.outcome, a.detail ?? '']);
}

/** The row of the accepted start, when the report has its trail. */
export function startRow(r: RecoveryReport): RunAuditView | null {
  return (r.audit ?? []).find((a) => a.action === `${r.kind}.start` && a.outcome === 'started') ?? null;
}

/** `started by operator:alice from TCP 10.0.0.9:41822 at 2026-…` */
export function startedBy(r: RecoveryReport): string | null {
  const s = startRow(r);
  return s ? `started by ${s.actor} from ${auditFrom(s)} at ${s.time}` : null;
}
