// Reports rendered from a run, the `recovery:` config section and the `fence` wire message.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { parseHubMessage } from '../../../src/protocol/agent.js';
import type { RecoveryReport, StepView } from '../../../src/protocol/recovery.js';
import { reportHtml, timelineSvg } from '../../../src/recovery/report-html.js';
import { reportMarkdown } from '../../../src/recovery/report-md.js';

const step = (index: number, title: string, state: StepView['state'], start: number, end: number): StepView => ({
  index, kind: 'restore', host: 'db-01', volume: null, title, state, attempts: 1, detail: `${title} done`, error: state === 'failed' ? 'port 5432 closed' : null,
  startedAt: new Date(Date.UTC(2025, 2, 1, 10, 0, start)).toISOString(), finishedAt: new Date(Date.UTC(2025, 2, 1, 10, 0, end)).toISOString(),
  durationMs: (end - start) * 1000, progress: null, checks: [],
});

function fixture(): RecoveryReport {
  const check = {
    name: 'db-port', type: 'tcp' as const, host: 'db-01', volume: null, status: 'fail' as const, startedAt: '2025-03-01T10:00:40.000Z',
    finishedAt: '2025-03-01T10:00:42.000Z', durationMs: 2000, detail: '10.0.0.5:5432: connection refused',
  };
  return {
    id: 7, kind: 'drill', state: 'completed', plan: null, pointSpec: 'latest', title: 'Recovery drill 7: db-01', hub: 'dr-hub-1',
    generatedAt: '2025-03-01T11:00:00.000Z', durationSeconds: 45, checks: [check],
    hosts: [{
      host: 'db-01', tier: 'gold',
      points: [{ volume: 'data', pointId: 12, time: '2025-03-01T09:50:00.000Z', type: 'incremental', size: 1 << 30, verified: true, image: '/dr/drill-7/db-01-data.img' }],
      rto: { actualSeconds: 42, targetSeconds: 3600, pass: true }, rpo: { actualSeconds: 600, targetSeconds: 900, pass: true },
    }],
    target: { name: null, type: 'directory', format: 'raw', dir: '/dr/drill-7', command: null },
    gates: [], forecast: { seconds: 40, bytes: 1 << 30, bytesPerSec: 1 << 25, basis: 'measured', samples: 3 },
    operator: { user: 'alice', ssh: '10.1.1.1 5000 22' }, startedAt: '2025-03-01T10:00:00.000Z', finishedAt: '2025-03-01T10:00:45.000Z',
    rto: { actualSeconds: 42, targetSeconds: 3600, pass: true }, rpo: { actualSeconds: 600, targetSeconds: 900, pass: true },
    bootSeconds: null, instant: false, instances: [],
    steps: [step(0, 'restore db-01/data', 'succeeded', 1, 38), { ...step(1, 'check db-01', 'failed', 38, 42), checks: [check] }, step(2, 'measure <RTO> & "RPO"', 'succeeded', 42, 45)],
    verdict: 'fail', verdictBy: 'checks', notes: 'database did not listen | follow up', issues: ['restore db-01/data: interrupted by a hub restart'], error: null,
    expiresAt: '2025-03-02T10:00:45.000Z', cleanedAt: null,
  };
}

describe('reports', () => {
  it('writes the measured RTO and RPO against their targets, every step with its times, the failed check, issues and notes in Markdown', () => {
    const md = reportMarkdown(fixture());
    expect(md).toContain('| RTO (start → restored and checked) | 42 s | 1 h 0 min | PASS |');
    expect(md).toContain('| RPO (start − point time) | 10 min 0 s | 15 min 0 s | PASS |');
    expect(md).toContain('| 1 | restore db-01/data | succeeded | 2025-03-01T10:00:01.000Z | 2025-03-01T10:00:38.000Z | 37 s | 1 |');
    expect(md).toContain('| db-01 | - | db-port | tcp | FAIL | 2.0 s | 10.0.0.5:5432: connection refused |');
    expect(md).toContain('- restore db-01/data: interrupted by a hub restart');
    expect(md).toContain('database did not listen | follow up');
    expect(md).toContain('**FAIL** (checks)');
    expect(md).toContain('alice (ssh 10.1.1.1 5000 22)');
  });

  it('renders HTML as one self-contained file with a timeline chart and escaped text', () => {
    const html = reportHtml(fixture());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain('<svg');
    expect(html).toContain('RTO (start → restored and checked)');
    expect(html).toContain('measure &lt;RTO&gt; &amp; &quot;RPO&quot;');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('draws one bar per started step on the timeline, sized by its duration', () => {
    const svg = timelineSvg(fixture());
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('#cf222e'); // the failed check step
  });
});

describe('recovery config', () => {
  it('reads the drill TTL and a switch webhook', () => {
    const c = parseConfig('recovery:\n  drill_ttl: 2h\n  switch:\n    url: https://lb.example.com/failover\n', '/etc/drc/drc.yaml');
    expect(c.recovery).toEqual({ drillTtl: 7200, switch: { type: 'webhook', url: 'https://lb.example.com/failover', timeout: 60 } });
  });

  it('defaults to a 24 h drill TTL and no switch hook', () => {
    expect(parseConfig('hub: {}\n', '/etc/drc/drc.yaml').recovery).toEqual({ drillTtl: 86400, switch: null });
  });

  it('rejects a switch hook with both a command and a url', () => {
    expect(() => parseConfig('recovery:\n  switch: { command: x, url: "http://a/b" }\n', '/etc/drc/drc.yaml')).toThrow(ConfigError);
    expect(() => parseConfig('recovery:\n  switch: { command: x, url: "http://a/b" }\n', '/etc/drc/drc.yaml')).toThrow(/cannot be combined/);
  });
});

describe('fence message', () => {
  it('accepts a fence with a reason and rejects one without', () => {
    expect(parseHubMessage('{"type":"fence","reason":"failover run 3"}')).toEqual({ type: 'fence', reason: 'failover run 3' });
    expect(() => parseHubMessage('{"type":"fence"}')).toThrow(ProtocolError);
  });
});
