// Runbook transitions, objectives and gates as pure functions, and the executor against a
// real catalog with an injected clock: every step's times recorded, resume after a crash.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import { RunExecutor, type Clock, type StepContext } from '../../../src/recovery/executor.js';
import { failoverGates, forecastRto, gatesReady, hostObjectives, ASSUMED_RESTORE_RATE } from '../../../src/recovery/objectives.js';
import {
  RunbookError,
  drillSteps,
  failoverSteps,
  finishStep,
  newRun,
  nextAction,
  resumeRun,
  startStep,
  type RunRecord,
  type StepOutcome,
} from '../../../src/recovery/runbook.js';
import type { NewRunMeta } from '../../../src/recovery/run-store.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');

/** A clock that moves only when told to. */
class ManualClock implements Clock {
  constructor(public t = T0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const twoHostDrill = () =>
  drillSteps({ groups: [{ hosts: [{ name: 'db', volumes: ['data', 'log'] }], waitSeconds: 30 }, { hosts: [{ name: 'web', volumes: ['root'] }], waitSeconds: 0 }], deliver: false });

function run(steps = twoHostDrill(), kind: 'drill' | 'failover' = 'drill'): RunRecord {
  return newRun(1, kind, steps, T0);
}

function doStep(r: RunRecord, outcome: StepOutcome, at: number): RunRecord {
  const a = nextAction(r);
  if (a.type !== 'start') throw new Error(`expected a step to start, got ${a.type}`);
  return finishStep(startStep(r, a.index, at), a.index, outcome, at + 1000);
}

describe('runbook steps', () => {
  it('orders a drill as prepare, each host restored volume by volume then checked, a wait between groups, then complete', () => {
    expect(twoHostDrill().map((s) => `${s.kind}:${s.host ?? '-'}:${s.volume ?? '-'}`)).toEqual([
      'prepare:-:-', 'restore:db:data', 'restore:db:log', 'checks:db:-', 'wait:-:-', 'restore:web:root', 'checks:web:-', 'complete:-:-',
    ]);
  });

  it('orders a failover as pre-check, final sync, fence, restore, target hook, post-checks, switch, completion', () => {
    expect(failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: true }).map((s) => s.kind)).toEqual([
      'precheck', 'final-sync', 'fence', 'restore', 'deliver', 'checks', 'switch', 'complete',
    ]);
  });
});

describe('runbook transitions', () => {
  it('refuses to start a step while an earlier one is still pending', () => {
    expect(() => startStep(run(), 2, T0)).toThrow(RunbookError);
  });

  it('records the start and end times handed in and counts attempts', () => {
    const r = doStep(run(), { state: 'succeeded', detail: 'ready' }, T0 + 5000);
    expect(r.steps[0]).toMatchObject({ state: 'succeeded', startedAt: T0 + 5000, finishedAt: T0 + 6000, attempts: 1, detail: 'ready' });
    expect(nextAction(r)).toEqual({ type: 'start', index: 1 });
  });

  it('skips only the rest of the failed host when a drill restore fails, and carries on with the next host', () => {
    let r = doStep(run(), { state: 'succeeded' }, T0);
    r = doStep(r, { state: 'failed', error: 'chunk missing' }, T0 + 1000);
    expect(r.steps.map((s) => s.state)).toEqual(['succeeded', 'failed', 'skipped', 'skipped', 'pending', 'pending', 'pending', 'pending']);
    expect(nextAction(r)).toEqual({ type: 'start', index: 4 });
  });

  it('stops a failover at its first failed step and ends the run failed', () => {
    let r = run(failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }), 'failover');
    r = doStep(r, { state: 'succeeded' }, T0);
    r = doStep(r, { state: 'succeeded' }, T0 + 500);
    r = doStep(r, { state: 'failed', error: 'agent unreachable' }, T0 + 1000);
    expect(r.steps.slice(3).every((s) => s.state === 'skipped')).toBe(true);
    expect(r.error).toBe('fence db: stop its replication: agent unreachable');
    expect(nextAction(r)).toEqual({ type: 'complete', state: 'failed' });
  });

  it('goes on with the fence when the final sync fails: the failover restores the last point instead', () => {
    let r = run(failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }), 'failover');
    r = doStep(r, { state: 'succeeded' }, T0);
    r = doStep(r, { state: 'failed', error: 'agent lost' }, T0 + 1000);
    expect(r.error).toBeNull();
    expect(nextAction(r)).toEqual({ type: 'start', index: 2 });
    expect(r.steps[2]!.kind).toBe('fence');
  });

  it('keeps a failed drill check from stopping the drill', () => {
    let r = run();
    for (let i = 0; i < 3; i++) r = doStep(r, { state: 'succeeded' }, T0 + i * 1000);
    r = doStep(r, { state: 'failed', error: 'port closed' }, T0 + 5000);
    expect(nextAction(r)).toEqual({ type: 'start', index: 4 });
  });

  it('puts a step interrupted by a crash back to pending, notes it as an issue, and counts the second attempt', () => {
    let r = doStep(run(), { state: 'succeeded' }, T0);
    r = startStep(r, 1, T0 + 2000);
    const resumed = resumeRun(r, T0 + 60_000);
    expect(resumed.steps[0]!.state).toBe('succeeded');
    expect(resumed.steps[1]!.state).toBe('pending');
    expect(resumed.issues).toEqual([`restore db/data: interrupted by a hub restart; run again at ${new Date(T0 + 60_000).toISOString()}`]);
    expect(startStep(resumed, 1, T0 + 61_000).steps[1]).toMatchObject({ state: 'running', attempts: 2, startedAt: T0 + 61_000 });
  });
});

describe('objectives and gates', () => {
  it('measures RTO from the run start to the last restore or check of the host, and RPO from the point time to the run start', () => {
    let r = run(failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }), 'failover');
    for (let i = 0; i < 7; i++) r = doStep(r, { state: 'succeeded' }, T0 + i * 10_000);
    // the checks step (index 4) ends at T0 + 41 s
    const o = hostObjectives(r, { host: 'db', rtoSeconds: 30, rpoSeconds: 900, pointTimes: [T0 - 600_000, T0 - 120_000] });
    expect(o.rto).toEqual({ actualSeconds: 41, targetSeconds: 30, pass: false });
    expect(o.rpo).toEqual({ actualSeconds: 600, targetSeconds: 900, pass: true });
  });

  it('blocks a failover when the target lacks space but only warns about an RPO already exceeded', () => {
    const base = { now: T0, rpoSeconds: 60, pointTime: T0 - 3_600_000, missingVolumes: [], allVerified: true, neededBytes: 100, targetDir: '/dr', link: 'disconnected' as const, failedOver: false };
    const full = failoverGates({ ...base, freeBytes: 10 });
    expect(full.find((g) => g.name === 'target')).toMatchObject({ ok: false, blocking: true });
    expect(full.find((g) => g.name === 'rpo')).toMatchObject({ ok: false, blocking: false });
    expect(gatesReady(full)).toBe(false);
    expect(gatesReady(failoverGates({ ...base, freeBytes: 1000 }))).toBe(true);
  });

  it('says whether a final sync is possible: yes with the source connected, no without it, skipped when asked', () => {
    const base = { now: T0, rpoSeconds: 60, pointTime: T0 - 30_000, missingVolumes: [], allVerified: true, neededBytes: 100, freeBytes: 1000, targetDir: '/dr', failedOver: false };
    const gate = (link: 'connected' | 'disconnected', finalSync?: boolean) => failoverGates({ ...base, link, finalSync }).find((g) => g.name === 'final-sync')!;
    expect(gate('connected')).toMatchObject({ ok: true, blocking: false, detail: expect.stringMatching(/^final sync possible: yes/) });
    expect(gate('disconnected')).toMatchObject({ ok: false, blocking: false, detail: expect.stringMatching(/^final sync possible: no/) });
    expect(gate('connected', false).detail).toMatch(/^final sync possible: skipped/);
    expect(gatesReady(failoverGates({ ...base, link: 'disconnected' }))).toBe(true);
  });

  it('forecasts RTO from measured restore throughput, or an assumed rate before any restore', () => {
    expect(forecastRto(400, [{ bytes: 100, ms: 1000 }, { bytes: 100, ms: 1000 }])).toMatchObject({ seconds: 4, bytesPerSec: 100, basis: 'measured', samples: 2 });
    expect(forecastRto(ASSUMED_RESTORE_RATE * 3, [])).toMatchObject({ seconds: 3, basis: 'assumed' });
  });
});

describe('RunExecutor', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function catalogFile(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-runbook-'));
    dirs.push(d);
    return path.join(d, 'catalog.db');
  }

  const meta: NewRunMeta = {
    plan: null, pointSpec: 'latest', hosts: [], gates: [], params: {}, operator: { user: 'alice', ssh: null },
    target: { name: null, type: 'directory', format: 'raw', dir: '/tmp/x', command: null },
    forecast: { seconds: 1, bytes: 1, bytesPerSec: 1, basis: 'assumed', samples: 0 },
  };

  it('records every step with the clock time at its start and end in the catalog', async () => {
    const catalog = new Catalog(catalogFile());
    const clock = new ManualClock();
    const store = catalog.repos.runs;
    const stored = store.create('failover', clock.now(), () => ({ meta, specs: failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }) }));
    const ran: string[] = [];
    const ex = new RunExecutor(store, clock, async (ctx: StepContext) => {
      ran.push(ctx.step.kind);
      clock.advance(1000);
      return { state: 'succeeded' };
    }, () => undefined);
    await ex.start(stored.record.id);
    const r = store.get(stored.record.id)!.record;
    expect(ran).toEqual(['precheck', 'final-sync', 'fence', 'restore', 'checks', 'switch', 'complete']);
    expect(r.state).toBe('completed');
    expect(r.steps.map((s) => [s.startedAt! - T0, s.finishedAt! - T0])).toEqual([[0, 1000], [1000, 2000], [2000, 3000], [3000, 4000], [4000, 5000], [5000, 6000], [6000, 7000]]);
    catalog.close();
  });

  it('resumes an interrupted run from its last completed step without running finished steps again', async () => {
    const file = catalogFile();
    const clock = new ManualClock();
    let catalog = new Catalog(file);
    let store = catalog.repos.runs;
    const id = store.create('failover', clock.now(), () => ({ meta, specs: failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }) })).record.id;
    const calls: string[] = [];
    // the first hub "dies" during the restore: the step never returns
    const first = new RunExecutor(store, clock, (ctx) => {
      calls.push(`a:${ctx.step.kind}`);
      clock.advance(1000);
      return ctx.step.kind === 'restore' ? new Promise<StepOutcome>(() => undefined) : Promise.resolve({ state: 'succeeded' });
    }, () => undefined);
    void first.start(id);
    await new Promise((r) => setTimeout(r, 20));
    await first.stop(10);
    catalog.close();

    clock.advance(60_000);
    catalog = new Catalog(file);
    store = catalog.repos.runs;
    expect(store.get(id)!.record.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'running', 'pending', 'pending', 'pending']);
    const second = new RunExecutor(store, clock, async (ctx) => {
      calls.push(`b:${ctx.step.kind}`);
      clock.advance(1000);
      return { state: 'succeeded' };
    }, () => undefined);
    expect(second.resumeAll()).toEqual([id]);
    await second.start(id);
    const r = store.get(id)!.record;
    expect(calls).toEqual(['a:precheck', 'a:final-sync', 'a:fence', 'a:restore', 'b:restore', 'b:checks', 'b:switch', 'b:complete']);
    expect(r.state).toBe('completed');
    expect(r.steps.map((s) => s.attempts)).toEqual([1, 1, 1, 2, 1, 1, 1]);
    expect(r.steps[1]!.finishedAt).toBe(T0 + 2000);
    expect(r.issues).toHaveLength(1);
    catalog.close();
  });
});
