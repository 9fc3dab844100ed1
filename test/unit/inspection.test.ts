// The pieces of inspection that are pure or local: /proc parsers of the agent sampler,
// the new wire messages, metric history downsampling, the tar writer, launcher following.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuPercent, parseMeminfo, parseMounts, parseNetDev } from '../../agent/metrics.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { MetricStore, resolutionFor } from '../../src/catalog/metric-store.js';
import { launcherChain, type ProcEntry } from '../../src/cli/launcher.js';
import { tarGz } from '../../src/client/tar.js';
import { parseAgentMessage, parseHubMessage } from '../../src/protocol/agent.js';

describe('agent sampler parsers', () => {
  it('keeps real file systems from /proc/mounts and decodes escaped mount points', () => {
    const text = ['/dev/vda1 / ext4 rw 0 0', 'proc /proc proc rw 0 0', 'tmpfs /run tmpfs rw 0 0', '/dev/vdb /srv/my\\040data xfs rw 0 0', 'overlay /var/lib/docker/x overlay rw 0 0'].join('\n');
    expect(parseMounts(text)).toEqual(['/', '/srv/my data']);
  });

  it('sums received and sent bytes over every interface but loopback', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0
  eth0: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0
  eth1: 100 1 0 0 0 0 0 0 300 3 0 0 0 0 0 0`;
    expect(parseNetDev(text)).toEqual({ rx: 5100, tx: 7300 });
  });

  it('takes used memory as total minus available', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n')).toEqual({ usedBytes: 600 * 1024, totalBytes: 1000 * 1024 });
    expect(parseMeminfo('nonsense')).toBeNull();
  });

  it('turns two CPU counter readings into a busy percentage', () => {
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 350, total: 2000 })).toBe(25);
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBe(0);
  });
});

describe('inspection wire messages', () => {
  const sample = { type: 'metrics', time: 1, cpu: 12.5, memory: { usedBytes: 1, totalBytes: 2 }, disks: [{ mount: '/', usedBytes: 1, totalBytes: 2 }], processes: [{ name: 'nginx', count: 2 }], net: { rxBytesPerSec: 1.5, txBytesPerSec: 0 } };

  it('accepts a metrics sample with fractional values and rejects a CPU share above 100', () => {
    expect(parseAgentMessage(JSON.stringify(sample))).toEqual(sample);
    expect(() => parseAgentMessage(JSON.stringify({ ...sample, cpu: 101 }))).toThrow(/metrics\.cpu: number out of range/);
    expect(() => parseAgentMessage(JSON.stringify({ ...sample, net: { rxBytesPerSec: 'x', txBytesPerSec: 0 } }))).toThrow(/expected a number/);
  });

  it('parses ping, watch and logs.get from the hub and pong and logs from the agent', () => {
    expect(parseHubMessage('{"type":"ping","id":3,"time":5}')).toEqual({ type: 'ping', id: 3, time: 5 });
    expect(parseHubMessage('{"type":"watch","processes":["nginx"],"intervalMs":5000}')).toMatchObject({ processes: ['nginx'] });
    expect(() => parseHubMessage('{"type":"logs.get","requestId":1,"maxBytes":99999999}')).toThrow(/maxBytes: integer out of range/);
    expect(parseAgentMessage('{"type":"pong","id":3,"time":5}')).toEqual({ type: 'pong', id: 3, time: 5 });
    expect(parseAgentMessage('{"type":"logs","requestId":1,"data":"aGk=","size":2,"truncated":false}')).toMatchObject({ data: Buffer.from('hi') });
  });
});

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

describe('tarGz', () => {
  it('writes an archive that tar lists and extracts byte for byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-tar-'));
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.log`;
    const data = Buffer.from('x'.repeat(1000));
    fs.writeFileSync(path.join(dir, 'a.tar.gz'), tarGz([{ name: 'b/hub.log', data: Buffer.from('hello\n') }, { name: long, data }]));
    expect(execFileSync('tar', ['tzf', 'a.tar.gz'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(['b/hub.log', long]);
    execFileSync('tar', ['xzf', 'a.tar.gz'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, long))).toEqual(data);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('launcherChain', () => {
  const table = (entries: ProcEntry[]) => (pid: number) => entries.find((e) => e.pid === pid) ?? null;

  it('watches the shell, npm exec and the process that started npm', () => {
    const read = table([
      { pid: 30, ppid: 20, pgrp: 5, start: 'c', title: "sh -c 'drc' agent --host h1" },
      { pid: 20, ppid: 10, pgrp: 5, start: 'b', title: 'npm exec drc agent --host h1' },
      { pid: 10, ppid: 1, pgrp: 5, start: 'a', title: 'bash check.sh' },
    ]);
    expect(launcherChain(read, 30)).toEqual([{ pid: 30, start: 'c' }, { pid: 20, start: 'b' }, { pid: 10, start: 'a' }]);
  });

  it('watches nothing when drc was started without npm in between', () => {
    const read = table([
      { pid: 30, ppid: 10, pgrp: 30, start: 'c', title: 'sh -c node bin/drc.js agent' },
      { pid: 10, ppid: 1, pgrp: 10, start: 'a', title: 'systemd --user' },
    ]);
    expect(launcherChain(read, 30)).toEqual([]);
    expect(launcherChain(read, 10)).toEqual([]);
  });

  it('knows the launcher is already gone when npm was handed to init out of its own group', () => {
    const chain = (npmGroup: number) =>
      launcherChain(table([
        { pid: 30, ppid: 20, pgrp: 5, start: 'c', title: "sh -c 'drc' agent" },
        { pid: 20, ppid: 1, pgrp: npmGroup, start: 'b', title: 'npm exec drc agent' },
      ]), 30);
    expect(chain(5)).toBe('orphaned');
    expect(chain(20)).toEqual([]);
  });
});
