import { EventEmitter } from 'node:events';
import { test } from 'vitest';
import { runCockpit } from '../../src/tui/run.js';
import { FakeClient } from './fake-client.js';
import { host, snapshot } from './fixtures.js';
import { delay } from './helpers.js';
import type { HostView } from '../../src/protocol/operator.js';

class Out extends EventEmitter { columns = 120; rows = 40; isTTY = true; bytes = 0; write(s: string) { this.bytes += Buffer.byteLength(s); return true; } }
class In extends EventEmitter { isTTY = true; data: string | null = null; write(d: string) { this.data = d; this.emit('readable'); } read() { const d = this.data; this.data = null; return d; } setEncoding() {} setRawMode() {} resume() {} pause() {} ref() {} unref() {} }

async function measure(label: string, view: string | null, live: 'none' | 'lastSeen' | 'backlog') {
  const hosts: HostView[] = Array.from({ length: 500 }, (_, i) => host(`host-${String(i).padStart(3, '0')}`, {
    lastSeen: new Date().toISOString(), lastPointTime: new Date(Date.now() - 60_000).toISOString(), backlogBytes: i * 1e6, throughput: [1, 2, 3].map((x) => x * 1e6),
  }));
  const snap = { ...snapshot(), hosts, throughput: [] as { time: string; bytesPerSec: number }[] };
  const client = new FakeClient(snap);
  const out = new Out(); const inp = new In();
  const done = runCockpit({ client, stdout: out as unknown as NodeJS.WriteStream, stdin: inp as unknown as NodeJS.ReadStream });
  await delay(500);
  if (view) { inp.write(view); await delay(300); }
  const timer = setInterval(() => {
    if (live === 'none') return;
    const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    client.emit({ type: 'throughput', sample: { time: now, bytesPerSec: 50e6 + Math.random() * 10e6 } });
    for (let i = 0; i < hosts.length; i++) {
      hosts[i] = { ...hosts[i]!, lastSeen: now, backlogBytes: live === 'backlog' ? hosts[i]!.backlogBytes + Math.random() * 1e5 : hosts[i]!.backlogBytes };
      client.emit({ type: 'host', host: hosts[i]! });
    }
  }, 1000);
  await delay(1500);
  const start = out.bytes; const t0 = Date.now();
  await delay(10_000);
  const rate = (out.bytes - start) / ((Date.now() - t0) / 1000);
  clearInterval(timer);
  inp.write('q'); await done;
  console.log(`${label}: ${rate.toFixed(0)} B/s`);
}

test('bandwidth', async () => {
  await measure('overview idle', null, 'none');
  await measure('overview lastSeen 1Hz', null, 'lastSeen');
  await measure('overview backlog 1Hz', null, 'backlog');
  await measure('hosts idle', ':hosts\r', 'none');
  await measure('hosts lastSeen 1Hz', ':hosts\r', 'lastSeen');
  await measure('hosts backlog 1Hz', ':hosts\r', 'backlog');
}, 120_000);
