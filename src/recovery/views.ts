// Stored runs as the operator API shows them: live checklists, objectives, report data.
import type {
  CheckResultView,
  InstanceView,
  ObjectiveView,
  RecoveryReport,
  ReportSummary,
  RunAuditView,
  RunHostView,
  RunView,
  StepProgressView,
  StepView,
  WayBackView,
} from '../protocol/recovery.js';
import type { AuditEntryView } from '../protocol/access.js';
import { hostObjectives, runObjective } from './objectives.js';
import { instanceEvidence } from './report-instances.js';
import type { RunRecord } from './runbook.js';
import type { StoredRun } from './run-store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type ProgressOf = (runId: number, stepIndex: number) => StepProgressView | null;

export function runHosts(run: RunRecord, meta: StoredRun['meta'], final?: boolean): RunHostView[] {
  return meta.hosts.map((h) => {
    const o = hostObjectives(run, { host: h.host, rtoSeconds: h.rtoSeconds, rpoSeconds: h.rpoSeconds, pointTimes: h.points.map((p) => Date.parse(p.time)) }, final);
    return { host: h.host, tier: h.tier, points: h.points, rto: o.rto, rpo: o.rpo };
  });
}

export function runObjectives(hosts: RunHostView[]): { rto: ObjectiveView; rpo: ObjectiveView } {
  return { rto: runObjective(hosts.map((h) => h.rto)), rpo: runObjective(hosts.map((h) => h.rpo)) };
}

/** power-on → boot check passed, the slowest host; null when nothing booted */
export function bootSeconds(r: RunRecord): number | null {
  const ms = r.steps.map((s) => s.result.instance?.bootMs).filter((x): x is number => typeof x === 'number');
  return ms.length ? Math.round(Math.max(...ms) / 100) / 10 : null;
}

export function runView(s: StoredRun, progress: ProgressOf = () => null, instances: InstanceView[] = []): RunView {
  const { record: r, meta } = s;
  const hosts = runHosts(r, meta);
  const steps: StepView[] = r.steps.map((x) => ({
    index: x.index,
    kind: x.kind,
    host: x.host,
    volume: x.volume,
    title: x.title,
    state: x.state,
    startedAt: iso(x.startedAt),
    finishedAt: iso(x.finishedAt),
    durationMs: x.startedAt !== null && x.finishedAt !== null ? x.finishedAt - x.startedAt : null,
    attempts: x.attempts,
    detail: x.detail,
    error: x.error,
    progress: x.state === 'running' ? progress(r.id, x.index) : null,
    checks: x.result.checks ?? [],
  }));
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    plan: meta.plan,
    pointSpec: meta.pointSpec,
    hosts,
    target: meta.target,
    gates: meta.gates,
    forecast: meta.forecast,
    operator: meta.operator,
    startedAt: iso(r.startedAt)!,
    finishedAt: iso(r.finishedAt),
    ...runObjectives(hosts),
    bootSeconds: bootSeconds(r),
    instant: meta.params.instant === true,
    instances,
    steps,
    verdict: meta.verdict,
    verdictBy: meta.verdictBy,
    notes: meta.notes,
    issues: r.issues,
    error: r.error,
    expiresAt: meta.cleanedAt ? null : meta.expiresAt,
    cleanedAt: meta.cleanedAt,
  };
}

export function reportSummary(v: RunView): ReportSummary {
  return { id: v.id, kind: v.kind, hosts: v.hosts.map((h) => h.host), time: v.startedAt, state: v.state, verdict: v.verdict, rto: v.rto, rpo: v.rpo };
}

/** The way back in figures, from the steps' results (null for drills). */
export function wayBackOf(r: RunRecord): WayBackView | null {
  if (r.kind === 'drill') return null;
  const sync = r.steps.filter((s) => s.kind === 'reverse-sync' || s.kind === 'cutover').map((s) => s.result.sync ?? {});
  // the union as the reverse sync found it, before anything was sent (the cut-over then sees only what is left)
  const reverse = r.steps.filter((s) => s.kind === 'reverse-sync').map((s) => s.result.sync?.unionBlocks);
  const union = reverse.length && reverse.every((u) => typeof u === 'number') ? reverse.reduce((a: number, u) => a + (u ?? 0), 0) : null;
  const fs = r.steps.find((s) => s.kind === 'final-sync');
  const down = r.steps.find((s) => s.kind === 'checks')?.result.sync?.downtimeMs;
  return {
    finalSync: fs ? (fs.state === 'succeeded' ? 'ran' : fs.state === 'skipped' ? 'skipped' : null) : null,
    blocksSent: sync.reduce((a, x) => a + (x.blocksSent ?? 0), 0),
    bytesSent: sync.reduce((a, x) => a + (x.bytesSent ?? 0), 0),
    ...(r.kind === 'failback' ? { unionBlocks: union, sourceHashedBlocks: sync.reduce((a, x) => a + (x.sourceHashed ?? 0), 0) } : {}),
    downtimeSeconds: down === undefined ? null : Math.round(down / 100) / 10,
  };
}

/** What an audit row's details say that a reader of the report needs: the confirmation typed, the verdict's notes, the gates that blocked. */
function auditDetail(d: Record<string, unknown>): string | null {
  const out: string[] = [];
  if (typeof d.confirm === 'string') out.push(`typed "${d.confirm}"`);
  else if ('confirm' in d && d.confirm === null) out.push('no confirmation typed');
  if (typeof d.notes === 'string') out.push(`notes: ${d.notes}`);
  if (Array.isArray(d.gates) && d.gates.length) out.push(`gates not passed: ${d.gates.join(', ')}`);
  if (typeof d.point === 'string') out.push(`point ${d.point}`);
  else if (Array.isArray(d.point) && d.point.length) out.push(`point ${d.point.join(', ')}`);
  return out.length ? out.join('; ') : null;
}

export function runAudit(rows: AuditEntryView[]): RunAuditView[] {
  return rows.map((a) => ({ time: a.time, actor: a.actor, action: a.action, outcome: a.outcome, address: a.address, ssh: a.ssh, detail: auditDetail(a.details) }));
}

export function recoveryReport(v: RunView, hub: string, now: number, wayBack: WayBackView | null = null, audit: RunAuditView[] = []): RecoveryReport {
  const checks: CheckResultView[] = v.steps.flatMap((s) => s.checks);
  const hosts = v.hosts.map((h) => h.host).join(', ');
  const title =
    v.kind === 'drill' ? `Recovery drill ${v.id}: ${hosts}` : v.kind === 'failback' ? `Failback report ${v.id}: return of ${hosts}` : `Takeover report ${v.id}: failover of ${hosts}`;
  const durationSeconds = v.finishedAt ? Math.round((Date.parse(v.finishedAt) - Date.parse(v.startedAt)) / 100) / 10 : null;
  return { ...v, wayBack, title, hub, generatedAt: new Date(now).toISOString(), durationSeconds, checks, evidence: instanceEvidence(checks), audit };
}
