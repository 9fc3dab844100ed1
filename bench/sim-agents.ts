// Protocol-level simulated agents for `npm run bench:tui`: one process, one real
// WebSocket per host to the hub's agent gateway, each authenticated with its host token.
// After hello, every agent sends at 1 Hz a heartbeat and a changed-block bitmap per volume
// (no jobId: the live heatmap feed), and a resource sample (`metrics`) as often as the
// hub's `watch` asks, as the real agent does (1 Hz until told; metricsMs forces a rate).
// The dirty set changes slowly: now and then a small burst of blocks near a hot spot.
// Driven by its parent over IPC:
//   {cmd:'start', url, hosts, metricsMs?}  → {ev:'ready', connected} once every agent was welcomed
//   {cmd:'mode', mode:'live'|'frozen'}  frozen: same messages, same values (nothing changes)
//   {cmd:'stop'}               → closes every connection and exits
import WebSocket from 'ws';
import { MAX_PAYLOAD, PROTOCOL_VERSION, parseHubMessage, type HubMessage } from '../src/protocol/agent.js';

export interface SimVolume {
  name: string;
  size: number;
  blockSize: number;
}

export interface SimHost {
  name: string;
  token: string;
  volumes: SimVolume[];
}

export type SimCommand =
  | { cmd: 'start'; url: string; hosts: SimHost[]; metricsMs?: number }
  | { cmd: 'mode'; mode: 'live' | 'frozen' }
  | { cmd: 'stop' };

export type SimEvent =
  | { ev: 'ready'; connected: number; ms: number; metricsMs: number[] }
  | { ev: 'error'; message: string }
  | { ev: 'stats'; sent: number; bytes: number };

const TICK_MS = 1000;
/** chance per volume per second that a burst of writes dirties some blocks */
const BURST_CHANCE = 0.25;
const BURST_MAX_BLOCKS = 24;

class VolumeState {
  readonly blockCount: number;
  readonly bits: Buffer;
  dirtyCount = 0;
  private encoded: string;
  private hot: number;

  constructor(readonly spec: SimVolume) {
    this.blockCount = Math.ceil(spec.size / spec.blockSize);
    this.bits = Buffer.alloc(Math.ceil(this.blockCount / 8));
    this.hot = Math.floor(Math.random() * this.blockCount);
    // start with some history so heatmaps and backlogs are not all empty
    for (let i = 0; i < 8; i++) this.burst();
    this.encoded = this.bits.toString('base64');
  }

  /** dirty a few blocks around the hot spot; the hot spot drifts */
  burst(): void {
    const n = 1 + Math.floor(Math.random() * BURST_MAX_BLOCKS);
    if (Math.random() < 0.1) this.hot = Math.floor(Math.random() * this.blockCount);
    for (let i = 0; i < n; i++) {
      const b = Math.min(this.blockCount - 1, Math.max(0, this.hot + Math.floor((Math.random() - 0.5) * 4096)));
      const mask = 1 << (b & 7);
      if ((this.bits[b >> 3]! & mask) === 0) {
        this.bits[b >> 3]! |= mask;
        this.dirtyCount++;
      }
    }
    this.encoded = this.bits.toString('base64');
  }

  message(time: number): string {
    return JSON.stringify({
      type: 'bitmap', volume: this.spec.name, blockSize: this.spec.blockSize, blockCount: this.blockCount,
      size: this.spec.size, dirtyCount: this.dirtyCount, mode: 'incremental', bitmap: this.encoded, time,
    });
  }
}

class SimAgent {
  ws: WebSocket | null = null;
  welcomed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly volumes: VolumeState[];
  /** resource samples: every second until the hub's `watch` says otherwise */
  metricsMs = 1000;
  private lastMetrics = 0;
  private cpu = 5 + Math.random() * 30;
  private memUsed = (2 + Math.random() * 10) * 2 ** 30;

  constructor(readonly host: SimHost, private readonly sim: Simulation) {
    this.volumes = host.volumes.map((v) => new VolumeState(v));
  }

  connect(url: string, onWelcome: () => void): void {
    const ws = new WebSocket(url.replace(/\/+$/, '') + '/agent', {
      headers: { authorization: `Bearer ${this.host.token}`, 'x-drc-host': this.host.name, 'x-drc-protocol': String(PROTOCOL_VERSION) },
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD,
      generateMask: (mask: Buffer) => void mask.fill(0),
      handshakeTimeout: 30_000,
    });
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify({
        type: 'hello', version: PROTOCOL_VERSION, host: this.host.name, agentVersion: 'sim-0.1.0',
        volumes: this.host.volumes.map((v) => ({ name: v.name, path: `/dev/${v.name === 'root' ? 'vda' : 'vdb'}`, size: v.size, blockSize: v.blockSize, tracker: 'scan' })),
      }));
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: HubMessage;
      try {
        m = parseHubMessage(data.toString());
      } catch (e) {
        this.sim.report({ ev: 'error', message: `${this.host.name}: ${(e as Error).message}` });
        return;
      }
      this.onMessage(m, onWelcome);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.sim.report({ ev: 'error', message: `${this.host.name}: hub refused: HTTP ${res.statusCode} ${String(res.headers['x-drc-reason'] ?? '')}` });
    });
    ws.on('error', (e) => this.sim.report({ ev: 'error', message: `${this.host.name}: ${e.message}` }));
    ws.on('close', () => this.stop());
  }

  private onMessage(m: HubMessage, onWelcome: () => void): void {
    switch (m.type) {
      case 'welcome':
        this.welcomed = true;
        onWelcome();
        // each agent on its own phase within the second, like a real fleet
        setTimeout(() => {
          this.tick();
          this.timer = setInterval(() => this.tick(), TICK_MS);
        }, Math.random() * TICK_MS);
        return;
      case 'watch':
        if (this.sim.metricsMs === null) this.metricsMs = m.intervalMs;
        return;
      case 'ping':
        this.send(JSON.stringify({ type: 'pong', id: m.id, time: m.time }));
        return;
      case 'logs.get':
        this.send(JSON.stringify({ type: 'logs', requestId: m.requestId, data: '', size: 0, truncated: false }));
        return;
      case 'start':
        this.send(JSON.stringify({ type: 'failed', jobId: m.jobId, reason: 'simulated agent: no data to back up' }));
        return;
      default:
        return;
    }
  }

  private send(text: string): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(text);
    this.sim.sent++;
    this.sim.bytes += text.length;
  }

  private tick(): void {
    const now = Date.now();
    const live = this.sim.mode === 'live';
    this.send(JSON.stringify({ type: 'heartbeat', time: now }));
    for (const v of this.volumes) {
      if (live && Math.random() < BURST_CHANCE) v.burst();
      this.send(v.message(now));
    }
    if (now - this.lastMetrics < this.metricsMs - TICK_MS / 2) return;
    this.lastMetrics = now;
    if (live) {
      this.cpu = Math.min(100, Math.max(0, this.cpu + (Math.random() - 0.5) * 6));
      this.memUsed = Math.max(2 ** 30, this.memUsed + (Math.random() - 0.5) * 2 ** 26);
    }
    const total = 16 * 2 ** 30;
    this.send(JSON.stringify({
      type: 'metrics', time: now, cpu: Math.round(this.cpu * 10) / 10,
      memory: { usedBytes: Math.round(Math.min(total, this.memUsed)), totalBytes: total },
      disks: this.volumes.map((v) => ({ mount: v.spec.name === 'root' ? '/' : `/${v.spec.name}`, usedBytes: Math.round(v.spec.size * 0.4), totalBytes: v.spec.size })),
      processes: [],
      net: { rxBytesPerSec: live ? Math.round(Math.random() * 1e6) : 0, txBytesPerSec: live ? Math.round(Math.random() * 1e6) : 0 },
    }));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

class Simulation {
  mode: 'live' | 'frozen' = 'live';
  /** forced resource sample interval; null: as the hub asks */
  metricsMs: number | null = null;
  sent = 0;
  bytes = 0;
  private agents: SimAgent[] = [];
  private errors = 0;

  report(e: SimEvent): void {
    if (e.ev === 'error' && ++this.errors > 20) return; // the first few say enough
    process.send?.(e);
  }

  async start(url: string, hosts: SimHost[], metricsMs: number | null): Promise<void> {
    this.metricsMs = metricsMs;
    const t0 = Date.now();
    let welcomed = 0;
    const all = new Promise<void>((resolve) => {
      const onWelcome = (): void => {
        if (++welcomed === hosts.length) resolve();
      };
      // dial in waves so the gateway's accept queue never overflows
      const WAVE = 50;
      let i = 0;
      const wave = (): void => {
        for (const end = Math.min(hosts.length, i + WAVE); i < end; i++) {
          const a = new SimAgent(hosts[i]!, this);
          if (metricsMs !== null) a.metricsMs = metricsMs;
          this.agents.push(a);
          a.connect(url, onWelcome);
        }
        if (i < hosts.length) setTimeout(wave, 50);
      };
      wave();
    });
    await all;
    // the hub's watch follows its welcome: give it a moment to arrive
    await new Promise((r) => setTimeout(r, 500));
    this.report({ ev: 'ready', connected: welcomed, ms: Date.now() - t0, metricsMs: [...new Set(this.agents.map((a) => a.metricsMs))] });
  }

  stop(): void {
    for (const a of this.agents) {
      a.stop();
      a.ws?.close(1000, 'simulation over');
    }
    setTimeout(() => process.exit(0), 500).unref();
  }
}

const sim = new Simulation();
process.on('message', (m: SimCommand) => {
  if (m.cmd === 'start') void sim.start(m.url, m.hosts, m.metricsMs ?? null);
  else if (m.cmd === 'mode') sim.mode = m.mode;
  else if (m.cmd === 'stop') sim.stop();
});
// the parent is gone (Ctrl-C, crash): nothing to simulate for
process.on('disconnect', () => process.exit(0));
