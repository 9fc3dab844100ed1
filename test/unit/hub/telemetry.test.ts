// Link health and backlog growth from the hub's side, on an injected clock.
import { describe, expect, it } from 'vitest';
import type { MetricStore } from '../../../src/catalog/metric-store.js';
import { HostTelemetry, STALE_SAMPLE_MS } from '../../../src/hub/telemetry.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MiB = 1024 * 1024;

function telemetry() {
  let now = T0;
  const written: [string, string, number][] = [];
  const store = { add: (host: string, _t: number, values: [string, number][]) => values.forEach(([m, v]) => written.push([host, m, v])) } as unknown as MetricStore;
  const t = new HostTelemetry(store, () => now);
  return { t, written, at: (ms: number) => (now = T0 + ms) };
}

const sample = { type: 'metrics' as const, time: T0, cpu: 42, memory: { usedBytes: 3 * MiB, totalBytes: 4 * MiB }, disks: [{ mount: '/', usedBytes: MiB, totalBytes: 4 * MiB }], processes: [{ name: 'nginx', count: 1 }], net: { rxBytesPerSec: 10, txBytesPerSec: 20 } };

describe('HostTelemetry', () => {
  it('turns a sample into percentages and history values, and calls it stale after 30 s', () => {
    const { t, written, at } = telemetry();
    expect(t.onSample('h1', sample)).toMatchObject({ cpu: 42, memoryPercent: 75, disks: [{ mount: '/', percent: 25 }] });
    expect(written).toEqual(expect.arrayContaining([['h1', 'cpu', 42], ['h1', 'memory', 75], ['h1', 'disk', 25], ['h1', 'disk:/', 25], ['h1', 'process:nginx', 1]]));
    at(STALE_SAMPLE_MS);
    expect(t.resources('h1')?.processes.get('nginx')).toBe(1);
    at(STALE_SAMPLE_MS + 1);
    expect(t.resources('h1')).toBeNull();
  });

  it('measures the round trip from an echoed ping time and rates the link', () => {
    const { t, at } = telemetry();
    expect(t.linkHealth('h1', true).state).toBe('unknown');
    at(40);
    t.onPong('h1', T0);
    expect(t.linkHealth('h1', true)).toMatchObject({ latencyMs: 40, state: 'good' });
    at(1000);
    t.onPong('h1', T0 + 200);
    expect(t.linkHealth('h1', true)).toMatchObject({ latencyMs: 800, state: 'degraded' });
    expect(t.linkHealth('h1', false).state).toBe('down');
  });

  it('measures bandwidth from a transfer and ignores transfers too small to tell', () => {
    const { t, at } = telemetry();
    t.onBytes('h1', 8 * MiB);
    at(2000);
    t.onBytes('h1', 8 * MiB);
    t.onTransferEnd('h1');
    expect(t.linkHealth('h1', true).bandwidthBps).toBe(8 * MiB);
    at(10_000);
    t.onBytes('h1', 1024);
    t.onTransferEnd('h1');
    expect(t.linkHealth('h1', true).bandwidthBps).toBe(8 * MiB);
  });

  it('estimates the change rate from backlog growth and restarts the backlog at a commit', () => {
    const { t, at } = telemetry();
    t.onBacklog('h1', 'disk', 0);
    at(10_000);
    t.onBacklog('h1', 'disk', 10 * MiB);
    expect(t.changeRateBps('h1')).toBe(MiB);
    t.onCommitted('h1', 'disk');
    at(20_000);
    t.onBacklog('h1', 'disk', 5 * MiB);
    expect(t.changeRateBps('h1')).toBe(0.75 * MiB);
  });
});
