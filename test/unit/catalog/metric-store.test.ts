// Metric history: samples folded into 1 s, 1 min and 1 h buckets, flushed, read back and pruned.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog/catalog.js';
import { MetricStore, resolutionFor } from '../../../src/catalog/metric-store.js';

describe('MetricStore', () => {
  function store() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-metrics-'));
    const c = new Catalog(path.join(dir, 'catalog.db'));
    return { c, m: new MetricStore(c.db), done: () => (c.close(), fs.rmSync(dir, { recursive: true, force: true })) };
  }
  const T = Date.parse('2025-03-01T10:00:00Z');

  it('folds samples into 1 s, 1 min and 1 h buckets with average and maximum', () => {
    const { m, done } = store();
    m.add('h1', T, [['cpu', 10]]);
    m.add('h1', T + 500, [['cpu', 30]]);
    m.add('h1', T + 30_000, [['cpu', 50]]);
    expect(m.history('h1', 'cpu', 1, T - 1000)).toEqual([{ bucket: T / 1000, avg: 20, max: 30 }, { bucket: T / 1000 + 30, avg: 50, max: 50 }]);
    expect(m.history('h1', 'cpu', 60, T - 1000)).toEqual([{ bucket: T / 1000, avg: 30, max: 50 }]);
    expect(m.history('h1', 'cpu', 3600, T - 1000)).toEqual([{ bucket: T / 1000, avg: 30, max: 50 }]);
    done();
  });

  const rows = (c: Catalog) => (c.db.prepare('SELECT COUNT(*) AS n FROM metric_samples').get() as { n: number }).n;

  it('writes nothing until a flush, then every sample folded into its buckets', () => {
    const { c, m, done } = store();
    // two hosts sampled every 5 s for 3 minutes: 36 samples each, cpu = the second within the run
    for (let s = 0; s < 180; s += 5) for (const h of ['h1', 'h2']) m.add(h, T + s * 1000, [['cpu', s], ['memory', 50]]);
    expect(rows(c)).toBe(0);
    m.flush();
    // per host and metric: 36 one-second buckets, 3 one-minute buckets, 1 one-hour bucket
    expect(rows(c)).toBe(2 * 2 * (36 + 3 + 1));
    const second = m.history('h2', 'cpu', 1, T);
    expect(second).toHaveLength(36);
    expect(second[35]).toEqual({ bucket: T / 1000 + 175, avg: 175, max: 175 });
    expect(m.history('h1', 'cpu', 60, T)).toEqual([
      { bucket: T / 1000, avg: 27.5, max: 55 },
      { bucket: T / 1000 + 60, avg: 87.5, max: 115 },
      { bucket: T / 1000 + 120, avg: 147.5, max: 175 },
    ]);
    expect(m.history('h1', 'cpu', 3600, T)).toEqual([{ bucket: T / 1000, avg: 87.5, max: 175 }]);
    expect(m.history('h1', 'memory', 3600, T)).toEqual([{ bucket: T / 1000, avg: 50, max: 50 }]);
    done();
  });

  it('adds samples not yet written to the buckets already written, when read and when flushed', () => {
    const { c, m, done } = store();
    m.add('h1', T, [['cpu', 10]]);
    m.flush();
    m.add('h1', T + 20_000, [['cpu', 40]]);
    m.add('h1', T + 20_400, [['cpu', 20]]);
    const second = [{ bucket: T / 1000, avg: 10, max: 10 }, { bucket: T / 1000 + 20, avg: 30, max: 40 }];
    const minute = [{ bucket: T / 1000, avg: 70 / 3, max: 40 }];
    expect(m.history('h1', 'cpu', 1, T)).toEqual(second);
    expect(m.history('h1', 'cpu', 60, T)).toEqual(minute);
    expect(rows(c)).toBe(3); // reading wrote nothing
    m.flush();
    expect(rows(c)).toBe(4);
    expect(m.history('h1', 'cpu', 1, T)).toEqual(second);
    expect(m.history('h1', 'cpu', 60, T)).toEqual(minute);
    done();
  });

  it('answers history and lists metrics with samples not yet written, and skips values that are not finite', () => {
    const { c, m, done } = store();
    m.add('h1', T, [['cpu', 5], ['net_rx', Number.NaN], ['disk:/', 70]]);
    m.add('h2', T, [['memory', 5]]);
    expect(m.metricsOf('h1').sort()).toEqual(['cpu', 'disk:/']);
    m.add('h1', T + 1000, [['cpu', 7]]);
    expect(m.history('h1', 'cpu', 1, T)).toEqual([{ bucket: T / 1000, avg: 5, max: 5 }, { bucket: T / 1000 + 1, avg: 7, max: 7 }]);
    expect(m.history('h1', 'cpu', 1, T + 1000)).toEqual([{ bucket: T / 1000 + 1, avg: 7, max: 7 }]);
    expect(rows(c)).toBe(0);
    done();
  });

  it('writes one slice of the hosts at a time, dealt round-robin as they are first seen', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-metrics-'));
    const c = new Catalog(path.join(dir, 'catalog.db'));
    const m = new MetricStore(c.db, 3);
    const hostsWritten = () => (c.db.prepare('SELECT DISTINCT host FROM metric_samples ORDER BY host').all() as { host: string }[]).map((r) => r.host);
    try {
      for (const h of ['h0', 'h1', 'h2', 'h3']) m.add(h, T, [['cpu', 1]]);
      m.flush(1);
      expect(hostsWritten()).toEqual(['h1']);
      m.flush(3); // slice 0: the first host seen and the fourth
      expect(hostsWritten()).toEqual(['h0', 'h1', 'h3']);
      expect(m.history('h2', 'cpu', 1, T)).toEqual([{ bucket: T / 1000, avg: 1, max: 1 }]); // slice 2, not written yet
      m.add('h1', T + 1000, [['cpu', 3]]);
      m.flush();
      expect(hostsWritten()).toEqual(['h0', 'h1', 'h2', 'h3']);
      expect(m.history('h1', 'cpu', 60, T)).toEqual([{ bucket: T / 1000, avg: 2, max: 3 }]);
    } finally {
      c.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every flushed sample when the catalog is closed and opened again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-metrics-'));
    const file = path.join(dir, 'catalog.db');
    const c = new Catalog(file);
    const m = new MetricStore(c.db);
    for (let s = 0; s < 90; s++) m.add('h1', T + s * 1000, [['cpu', 1]]);
    m.flush();
    c.close();
    const again = new Catalog(file);
    try {
      const n = new MetricStore(again.db);
      expect(n.history('h1', 'cpu', 1, T)).toHaveLength(90);
      expect(n.history('h1', 'cpu', 60, T).map((p) => p.bucket)).toEqual([T / 1000, T / 1000 + 60]);
    } finally {
      again.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prunes each resolution after its retention: 1 h, 7 d, 90 d, written or not', () => {
    const { c, m, done } = store();
    m.add('h1', T, [['cpu', 1]]);
    m.flush();
    m.add('h2', T, [['cpu', 1]]);
    expect(m.prune(T + 3600_000)).toBe(0);
    expect(m.prune(T + 3601_000)).toBe(2);
    expect(m.history('h1', 'cpu', 1, 0)).toEqual([]);
    expect(m.history('h2', 'cpu', 1, 0)).toEqual([]);
    expect(m.history('h1', 'cpu', 60, 0)).toHaveLength(1);
    expect(m.history('h2', 'cpu', 60, 0)).toHaveLength(1);
    expect(m.prune(T + 7 * 86_400_000 + 60_000)).toBe(2);
    expect(m.prune(T + 90 * 86_400_000 + 3600_000)).toBe(2);
    m.flush();
    expect(rows(c)).toBe(0);
    done();
  });

  it('picks the finest resolution that covers a range', () => {
    expect([resolutionFor(600), resolutionFor(3600), resolutionFor(3601), resolutionFor(7 * 86_400), resolutionFor(30 * 86_400)]).toEqual([1, 1, 60, 60, 3600]);
  });
});
