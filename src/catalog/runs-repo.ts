// Recovery runs and their steps in the catalog (migration 4): the SQLite side of the
// recovery module's RunStore port.
import type { GateView, RtoForecastView, RunKind, RunState, RunTargetView, StepKind, StepState, Verdict } from '../protocol/recovery.js';
import { newRun, type NewRunMeta, type RestoreSample, type RunMeta, type RunRecord, type RunScopeHost, type RunStore, type StepPolicy, type StepRecord, type StepResult, type StepSpec, type StoredRun } from './run-records.js';
import type { Db } from './columns.js';

type Raw = Record<string, unknown>;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ms = (v: unknown) => (v === null || v === undefined ? null : Date.parse(String(v)));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function stepOf(r: Raw): StepRecord {
  return {
    index: Number(r.idx),
    kind: String(r.kind) as StepKind,
    host: str(r.host),
    volume: str(r.volume),
    title: String(r.title),
    policy: String(r.policy) as StepPolicy,
    waitSeconds: Number(r.wait_seconds),
    state: String(r.state) as StepState,
    startedAt: ms(r.started_at),
    finishedAt: ms(r.finished_at),
    attempts: Number(r.attempts),
    detail: str(r.detail),
    error: str(r.error),
    result: JSON.parse(String(r.result)) as StepResult,
  };
}

export class SqliteRunStore implements RunStore {
  constructor(private readonly db: Db) {}

  /** Insert a run; `build` gets the new id (drill directories are named by it) and returns its meta and steps. */
  create(kind: RunKind, at: number, build: (id: number) => { meta: NewRunMeta; specs: StepSpec[] }): StoredRun {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(`INSERT INTO recovery_runs (kind, state, point_spec, scope, target, operator, started_at) VALUES (?, 'running', '', '[]', '{}', '', ?)`)
        .run(kind, iso(at));
      const id = Number(info.lastInsertRowid);
      const { meta, specs } = build(id);
      this.db
        .prepare(`UPDATE recovery_runs SET plan = ?, point_spec = ?, scope = ?, target = ?, gates = ?, forecast = ?, params = ?, operator = ?, ssh = ? WHERE id = ?`)
        .run(
          meta.plan, meta.pointSpec, JSON.stringify(meta.hosts), JSON.stringify(meta.target), JSON.stringify(meta.gates),
          JSON.stringify(meta.forecast), JSON.stringify(meta.params), meta.operator.user, meta.operator.ssh, id,
        );
      const record = newRun(id, kind, specs, at);
      const ins = this.db.prepare(
        `INSERT INTO recovery_steps (run_id, idx, kind, host, volume, title, policy, wait_seconds, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const s of record.steps) ins.run(id, s.index, s.kind, s.host, s.volume, s.title, s.policy, s.waitSeconds, s.state);
      return this.get(id)!;
    })();
  }

  get(id: number): StoredRun | undefined {
    const r = this.db.prepare('SELECT * FROM recovery_runs WHERE id = ?').get(id) as Raw | undefined;
    return r && this.of(r);
  }

  list(kind?: RunKind, limit = 200): StoredRun[] {
    const rows = (kind
      ? this.db.prepare('SELECT * FROM recovery_runs WHERE kind = ? ORDER BY id DESC LIMIT ?').all(kind, limit)
      : this.db.prepare('SELECT * FROM recovery_runs ORDER BY id DESC LIMIT ?').all(limit)) as Raw[];
    return rows.reverse().map((r) => this.of(r));
  }

  running(): StoredRun[] {
    return (this.db.prepare("SELECT * FROM recovery_runs WHERE state = 'running' ORDER BY id").all() as Raw[]).map((r) => this.of(r));
  }

  private of(r: Raw): StoredRun {
    const steps = (this.db.prepare('SELECT * FROM recovery_steps WHERE run_id = ? ORDER BY idx').all(r.id) as Raw[]).map(stepOf);
    const record: RunRecord = {
      id: Number(r.id),
      kind: String(r.kind) as RunKind,
      state: String(r.state) as RunState,
      startedAt: ms(r.started_at)!,
      finishedAt: ms(r.finished_at),
      steps,
      issues: JSON.parse(String(r.issues)) as string[],
      error: str(r.error),
    };
    const meta: RunMeta = {
      plan: str(r.plan),
      pointSpec: String(r.point_spec),
      hosts: JSON.parse(String(r.scope)) as RunScopeHost[],
      target: JSON.parse(String(r.target)) as RunTargetView,
      gates: JSON.parse(String(r.gates)) as GateView[],
      forecast: JSON.parse(String(r.forecast)) as RtoForecastView,
      params: JSON.parse(String(r.params)) as RunMeta['params'],
      operator: { user: String(r.operator), ssh: str(r.ssh) },
      verdict: str(r.verdict) as Verdict | null,
      verdictBy: str(r.verdict_by) as RunMeta['verdictBy'],
      notes: str(r.notes),
      expiresAt: str(r.expires_at),
      cleanedAt: str(r.cleaned_at),
    };
    return { record, meta };
  }

  /** Write a run's state and every step that differs from `before` in one transaction. */
  save(run: RunRecord, before?: RunRecord): void {
    const upd = this.db.prepare(
      `UPDATE recovery_steps SET state = ?, started_at = ?, finished_at = ?, attempts = ?, detail = ?, error = ?, result = ? WHERE run_id = ? AND idx = ?`,
    );
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE recovery_runs SET state = ?, finished_at = ?, issues = ?, error = ? WHERE id = ?')
        .run(run.state, iso(run.finishedAt), JSON.stringify(run.issues), run.error, run.id);
      for (const s of run.steps) {
        if (before && before.steps[s.index] === s) continue;
        upd.run(s.state, iso(s.startedAt), iso(s.finishedAt), s.attempts, s.detail, s.error, JSON.stringify(s.result), run.id, s.index);
      }
    })();
  }

  setVerdict(id: number, verdict: Verdict, by: 'operator' | 'checks', notes: string | null): void {
    this.db.prepare('UPDATE recovery_runs SET verdict = ?, verdict_by = ?, notes = COALESCE(?, notes) WHERE id = ?').run(verdict, by, notes, id);
  }

  setExpiry(id: number, expiresAt: string | null): void {
    this.db.prepare('UPDATE recovery_runs SET expires_at = ? WHERE id = ?').run(expiresAt, id);
  }

  setCleaned(id: number, at: string): void {
    this.db.prepare('UPDATE recovery_runs SET cleaned_at = ? WHERE id = ?').run(at, id);
  }

  setHosts(id: number, hosts: RunScopeHost[]): void {
    this.db.prepare('UPDATE recovery_runs SET scope = ? WHERE id = ?').run(JSON.stringify(hosts), id);
  }

  /** bytes and milliseconds of the latest successful restore steps (the forecast's measurements) */
  restoreSamples(limit = 20): RestoreSample[] {
    const rows = this.db
      .prepare(
        `SELECT started_at, finished_at, result FROM recovery_steps
         WHERE kind = 'restore' AND state = 'succeeded' AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?`,
      )
      .all(limit) as Raw[];
    return rows.map((r) => {
      const res = JSON.parse(String(r.result)) as StepResult;
      return { bytes: res.restore?.size ?? 0, ms: ms(r.finished_at)! - ms(r.started_at)! };
    });
  }

  /** host → median seconds its check steps took in its last `limit` runs (the RTO forecast's check time) */
  checkSeconds(limit = 5): Map<string, number> {
    const rows = this.db
      .prepare(`SELECT host, started_at, finished_at FROM recovery_steps WHERE kind = 'checks' AND state = 'succeeded' AND host IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at DESC`)
      .all() as Raw[];
    const byHost = new Map<string, number[]>();
    for (const r of rows) {
      const list = byHost.get(String(r.host)) ?? [];
      if (list.length < limit) list.push(Math.max(0, (ms(r.finished_at)! - ms(r.started_at)!) / 1000));
      byHost.set(String(r.host), list);
    }
    return new Map([...byHost].map(([h, l]) => [h, [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)]!]));
  }

  /** the same from restore jobs (`drc restore`) */
  jobRestoreSamples(limit = 20): RestoreSample[] {
    const rows = this.db
      .prepare(`SELECT bytes_total, started_at, finished_at FROM jobs WHERE kind = 'restore' AND state = 'succeeded' AND started_at IS NOT NULL ORDER BY id DESC LIMIT ?`)
      .all(limit) as Raw[];
    return rows.map((r) => ({ bytes: Number(r.bytes_total), ms: ms(r.finished_at)! - ms(r.started_at)! }));
  }
}
