// Recovery runs as a restarted hub finds them: meta, steps and their outcomes, verdict and
// expiry all read back after the catalog file is reopened, and unfinished runs listed to resume.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewRunMeta } from '../../../src/recovery/run-store.js';
import { drillSteps, failoverSteps, finishStep, startStep } from '../../../src/recovery/runbook.js';
import { TempCatalog } from './temp-catalog.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const meta: NewRunMeta = {
  plan: 'web-tier', pointSpec: 'latest', gates: [], params: { ttlSeconds: 3600 }, operator: { user: 'alice', ssh: '10.0.0.5' },
  hosts: [{ host: 'db', tier: 'gold', rtoSeconds: 900, rpoSeconds: 300, points: [], checks: ['ping'] }],
  target: { name: 'sandbox', type: 'directory', format: 'raw', dir: '/tmp/x', command: null },
  forecast: { seconds: 60, bytes: 1 << 30, bytesPerSec: 1 << 24, basis: 'assumed', samples: 0 },
};
const drill = () => drillSteps({ groups: [{ hosts: [{ name: 'db', volumes: ['data'] }], waitSeconds: 0 }], deliver: false });

let t: TempCatalog;
beforeEach(() => (t = new TempCatalog()));
afterEach(() => t.dispose());

describe('runs repository', () => {
  it('hands the new run id to the builder and stores what it returns', () => {
    let given = 0;
    const stored = t.catalog.repos.runs.create('drill', T0, (id) => ((given = id), { meta, specs: drill() }));
    expect(stored.record.id).toBe(given);
    expect(stored.meta).toMatchObject({ plan: 'web-tier', hosts: meta.hosts, target: meta.target, operator: meta.operator, verdict: null });
    expect(stored.record.steps.every((s) => s.state === 'pending')).toBe(true);
  });

  it('reads back a run with its finished steps, verdict and expiry after the catalog is reopened', () => {
    const runs = t.catalog.repos.runs;
    const { record } = runs.create('drill', T0, () => ({ meta, specs: drill() }));
    const after = finishStep(startStep(record, 0, T0 + 1000), 0, { state: 'succeeded', detail: 'sandbox ready' }, T0 + 2000);
    runs.save(after, record);
    runs.setVerdict(record.id, 'pass', 'operator', 'all good');
    runs.setExpiry(record.id, '2025-03-01T11:00:00.000Z');

    const back = t.reopen().repos.runs.get(record.id)!;
    expect(back.record.steps[0]).toMatchObject({ state: 'succeeded', startedAt: T0 + 1000, finishedAt: T0 + 2000, detail: 'sandbox ready' });
    expect(back.record.steps.slice(1).every((s) => s.state === 'pending')).toBe(true);
    expect(back.meta).toMatchObject({ verdict: 'pass', verdictBy: 'operator', notes: 'all good', expiresAt: '2025-03-01T11:00:00.000Z', cleanedAt: null });
  });

  it('lists only unfinished runs to resume, and every run of a kind oldest first', () => {
    const runs = t.catalog.repos.runs;
    const a = runs.create('drill', T0, () => ({ meta, specs: drill() })).record;
    const b = runs.create('failover', T0, () => ({ meta, specs: failoverSteps({ name: 'db', volumes: ['data'] }, { deliver: false }) })).record;
    const c = runs.create('drill', T0, () => ({ meta, specs: drill() })).record;
    runs.save({ ...a, state: 'completed', finishedAt: T0 + 5000 });
    const reopened = t.reopen().repos.runs;
    expect(reopened.running().map((r) => r.record.id)).toEqual([b.id, c.id]);
    expect(reopened.list('drill').map((r) => r.record.id)).toEqual([a.id, c.id]);
    expect(reopened.get(a.id)!.record).toMatchObject({ state: 'completed', finishedAt: T0 + 5000 });
  });
});
