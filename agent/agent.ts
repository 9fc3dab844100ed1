// `drc agent`: dials out to the hub, authenticates with its host token, protects only the
// volumes of its own config, reconnects with exponential backoff and jitter.
import fs from 'node:fs';
import WebSocket from 'ws';
import { MAX_PAYLOAD, PROTOCOL_VERSION, parseHubMessage, type HubMessage, type HubMessageOf } from '../src/protocol/agent.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { AgentInspection } from './inspection.js';
import type { LogFn } from './log.js';
import { AgentState } from './state.js';
import { createTracker } from './trackers/create.js';
import { ScanPool } from './trackers/scan.js';
import type { VolumeTracker } from './trackers/tracker.js';
import { bitmapOf, uploadVolume, volumeSize, type JobLink, type VolumeSpec } from './uploader.js';
import { runQuiesceHook } from './quiesce.js';
import { VolumeIo } from './volume-io.js';
import { sendBlocks } from './block-reads.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  hub: string;
  host: string;
  token: string;
  dataDir: string;
  volumes: VolumeSpec[];
  heartbeatMs?: number;
  watchMs?: number;
  ca?: string;
  log: LogFn;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** resource sampling interval; 0 = off; default: the hub's (5 s) */
  metricsMs?: number;
  /** the agent's log file, whose tail the hub may fetch for `drc logs export` */
  logFile?: string;
  /** commands run around a failover's final sync (e.g. fsfreeze -f / fsfreeze -u, a database flush) */
  preFreeze?: string | null;
  postThaw?: string | null;
  /** dr: this agent runs at the DR site on the recovered image (its points are the host's DR-side chain) */
  site?: 'primary' | 'dr';
}

type Waiter = { type: string; jobId: number; volume?: string; seq?: number; resolve: (m: HubMessage) => void; reject: (e: Error) => void };

/** bytes queued on the socket before the sender waits (each frame is copied once there to be masked) */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Send one binary frame; above the high water mark, resolve once the socket has written it
 * (and so everything queued before it), as a stream's 'drain' does: no polling timer wakes the
 * sender while the hub catches up. `written` runs once the socket is done with the frame.
 */
function sendPaced(ws: WebSocket, frame: Buffer, written?: () => void): Promise<void> {
  if (ws.bufferedAmount + frame.length <= HIGH_WATER) {
    ws.send(frame, written && (() => written()));
    return Promise.resolve();
  }
  return new Promise((resolve) =>
    ws.send(frame, () => {
      written?.();
      resolve();
    }),
  );
}

export class Agent {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private timers: NodeJS.Timeout[] = [];
  private waiters: Waiter[] = [];
  private readonly state: AgentState;
  private readonly pool = new ScanPool();
  /** one changed-block tracker per volume (scan or qemu-dirty-bitmap) */
  private readonly trackers = new Map<string, VolumeTracker>();
  private busy = false;
  /** why the hub fenced this host (a failover took it over); backups are refused while set */
  private fenced: string | null = null;
  private jobChain: Promise<void> = Promise.resolve();
  private abortedJobs = new Set<number>();
  private readonly inspection: AgentInspection;
  private readonly volumeIo: VolumeIo;

  constructor(private readonly o: AgentOptions) {
    this.state = new AgentState(o.dataDir);
    for (const v of o.volumes) {
      this.trackers.set(v.name, createTracker(v, {
        dataDir: o.dataDir, pool: this.pool, statSize: volumeSize, generation: (name) => this.state.generation(name), log: o.log,
        invalidated: (volume, message) => this.send({ type: 'event', kind: 'bitmap_invalidated', volume, message: message.slice(0, 2000) }),
      }));
    }
    this.volumeIo = new VolumeIo({ volumes: o.volumes, pool: this.pool, fenced: () => this.fenced, send: (m) => this.send(m), log: o.log, base: (name) => this.state.load(name) });
    this.inspection = new AgentInspection({ logFile: o.logFile ?? null, intervalMs: o.metricsMs ?? null, send: (m) => this.send(m) });
  }

  start(): void {
    for (const [name, t] of this.trackers) t.open().catch((e: Error) => this.o.log('error', `volume ${name}: ${e.message}`));
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(1000, 'agent stopping');
    else this.ws?.terminate();
    this.failWaiters(new Error('agent stopping'));
    this.volumeIo.close();
    await Promise.all([...this.trackers.values()].map((t) => t.close().catch((e: Error) => this.o.log('warning', `closing tracker: ${e.message}`))));
    await this.pool.close();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.inspection.stop();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.o.hub.replace(/\/+$/, '') + '/agent';
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.o.token}`, 'x-drc-host': this.o.host, 'x-drc-protocol': String(PROTOCOL_VERSION) },
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD,
      generateMask: (mask: Buffer) => void mask.fill(0),
      ca: this.o.ca ? fs.readFileSync(this.o.ca) : undefined,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => {
      try {
        // the only binary frames a hub sends are the blocks of a failback write
        if (isBinary) this.volumeIo.block(data as Buffer);
        else this.onMessage(ws, parseHubMessage(data.toString()));
      } catch (e) {
        this.protocolFailure(ws, e instanceof ProtocolError ? e : new ProtocolError('malformed', String(e)));
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      this.o.log('error', `hub refused the connection: HTTP ${res.statusCode} ${res.headers['x-drc-reason'] ?? ''}`.trim());
    });
    ws.on('error', (e) => this.o.log('warning', `connection to ${url}: ${e.message}`));
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      this.failWaiters(new Error('connection to the hub lost'));
      if (this.stopped) return;
      const base = Math.min(this.o.backoffMaxMs ?? 30_000, (this.o.backoffMinMs ?? 500) * 2 ** this.attempt);
      const delay = Math.round(base * (0.7 + Math.random() * 0.6));
      this.attempt = Math.min(this.attempt + 1, 16);
      this.o.log('info', `disconnected (${code} ${reason.toString()}); reconnecting in ${delay} ms`);
      setTimeout(() => this.connect(), delay);
    });
  }

  private protocolFailure(ws: WebSocket, e: ProtocolError): void {
    this.o.log('error', `protocol error from hub: ${e.message}`);
    ws.close(4002, e.message.slice(0, 120));
  }

  private onOpen(ws: WebSocket): void {
    void Promise.all(
      this.o.volumes.map(async (v) => {
        const tracker = this.trackers.get(v.name)!;
        const size = await tracker.size().catch((e: Error) => {
          this.o.log('error', `volume ${v.name}: cannot size ${v.path}: ${e.message}`);
          return 0;
        });
        return { name: v.name, path: v.path, size, blockSize: v.blockSize, tracker: tracker.kind };
      }),
    ).then((volumes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, host: this.o.host, agentVersion: AGENT_VERSION, volumes, ...(this.o.site === 'dr' ? { site: 'dr' } : {}) }));
    });
  }

  private onMessage(ws: WebSocket, m: HubMessage): void {
    switch (m.type) {
      case 'welcome':
        this.attempt = 0;
        this.o.log('info', `connected to hub ${m.hub}`);
        this.timers.push(setInterval(() => this.send({ type: 'heartbeat', time: Date.now() }), this.o.heartbeatMs ?? 5000));
        if ((this.o.watchMs ?? 5000) > 0) {
          this.timers.push(setInterval(() => void this.watch(), this.o.watchMs ?? 5000));
          setTimeout(() => void this.watch(), 200);
        }
        this.inspection.start();
        return;
      case 'ping':
      case 'watch':
      case 'logs.get':
        this.inspection.handle(m);
        return;
      case 'start':
        // one job at a time, and the next only after the previous saved its generation
        this.jobChain = this.jobChain.then(() => this.runJob(m));
        return;
      case 'fence':
        if (this.fenced === null) this.o.log('warning', `fenced by the hub: ${m.reason}; replication stopped, backup jobs are refused`);
        this.fenced = m.reason;
        return;
      case 'unfence':
        if (this.fenced !== null) this.o.log('warning', `unfenced by the hub: ${m.reason}; replication resumes from the last committed generation`);
        this.fenced = null;
        return;
      case 'hashes.get':
        void this.volumeIo.hashes(m);
        return;
      case 'changes.get':
        void this.volumeIo.changes(m);
        return;
      case 'write.begin':
        this.volumeIo.begin(m);
        return;
      case 'write.end':
        this.volumeIo.end(m);
        return;
      case 'blocks.get':
        void sendBlocks({ volumes: this.o.volumes, send: (x) => this.send(x), sendBinary: (b) => this.sendFrame(ws, b), log: this.o.log }, m);
        return;
      case 'abort':
        this.abortedJobs.add(m.jobId);
        this.failWaiters(new Error(`job ${m.jobId} aborted by the hub: ${m.reason}`), m.jobId);
        return;
      case 'need':
      case 'committed': {
        const i = this.waiters.findIndex(
          (w) => w.type === m.type && w.jobId === m.jobId && w.volume === m.volume && (m.type !== 'need' || w.seq === m.seq),
        );
        if (i < 0) return this.protocolFailure(ws, new ProtocolError('out-of-order', `unexpected ${m.type} for job ${m.jobId}`));
        const [w] = this.waiters.splice(i, 1);
        w!.resolve(m);
        return;
      }
    }
  }

  private send(msg: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** One binary frame, then wait while the link's buffer is above its high water mark. */
  private async sendFrame(ws: WebSocket, frame: Buffer): Promise<void> {
    if (ws.readyState !== WebSocket.OPEN) throw new Error('connection to the hub lost');
    await sendPaced(ws, frame);
  }

  private failWaiters(e: Error, jobId?: number): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) (jobId === undefined || w.jobId === jobId ? w.reject(e) : keep.push(w));
    this.waiters = keep;
  }

  private link(ws: WebSocket): JobLink {
    return {
      send: (msg) => {
        if (ws.readyState !== WebSocket.OPEN) throw new Error('connection to the hub lost');
        ws.send(JSON.stringify(msg));
      },
      sendBinary: async (buf, written) => {
        if (ws.readyState !== WebSocket.OPEN) throw new Error('connection to the hub lost');
        await sendPaced(ws, buf, written);
      },
      expect: <T extends 'need' | 'committed'>(type: T, jobId: number, volume: string, seq?: number) => {
        const reply = new Promise<HubMessageOf<T>>((resolve, reject) => {
          this.waiters.push({ type, jobId, volume, seq, resolve: resolve as (m: HubMessage) => void, reject });
        });
        // several offers are in flight and the upload awaits their replies in turn: when the
        // link drops or the agent stops, those not yet awaited must not crash the process as
        // unhandled rejections (the awaited one still fails the job)
        reply.catch(() => undefined);
        return reply;
      },
    };
  }

  private async runJob(m: HubMessageOf<'start'>): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    this.busy = true;
    let thaw = false;
    try {
      if (this.fenced !== null) throw new Error(`this host is fenced (${this.fenced}): replication stopped`);
      if (m.quiesce && this.o.preFreeze) {
        thaw = true;
        await runQuiesceHook('pre_freeze', this.o.preFreeze, this.o.log);
      }
      for (const [volumeIndex, v] of m.volumes.entries()) {
        const spec = this.o.volumes.find((x) => x.name === v.name);
        if (!spec) throw new Error(`volume ${v.name} is not in this agent's config`);
        const r = await uploadVolume(this.link(ws), { jobId: m.jobId, full: m.full, volumeIndex, basePointId: v.basePointId }, spec, this.state, this.trackers.get(v.name)!);
        this.o.log('info', `job ${m.jobId} volume ${v.name}: point ${r.pointId}, ${r.changed} changed blocks, ${r.sent} sent, ${r.bytesRead} bytes read; scan ${r.ms.scan} ms, transfer ${r.ms.transfer} ms, commit ${r.ms.commit} ms`, {
          job: m.jobId, volume: v.name, changed: r.changed, sent: r.sent, bytesRead: r.bytesRead, scanMs: r.ms.scan, transferMs: r.ms.transfer, commitMs: r.ms.commit, scanPhases: r.scanPhases,
        });
      }
    } catch (e) {
      const reason = (e as Error).message;
      this.o.log('error', `job ${m.jobId} failed: ${reason}`);
      if (!this.abortedJobs.has(m.jobId) && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'failed', jobId: m.jobId, reason }));
    } finally {
      this.busy = false;
      if (thaw && this.o.postThaw) await runQuiesceHook('post_thaw', this.o.postThaw, this.o.log).catch((e: Error) => this.o.log('error', e.message));
    }
  }

  /** Live dirty bitmap of each volume against its last committed generation (for the heatmap). */
  private async watch(): Promise<void> {
    if (this.busy || !this.ws) return;
    this.busy = true;
    try {
      for (const v of this.o.volumes) {
        const live = await this.trackers.get(v.name)!.live(() => this.state.load(v.name));
        if (!live) continue;
        const bits = bitmapOf(live.blockCount, live.changed);
        this.send({
          type: 'bitmap', volume: v.name, blockSize: v.blockSize, blockCount: live.blockCount, size: live.size,
          dirtyCount: live.changed.length, mode: live.incremental ? 'incremental' : 'full', bitmap: bits.bits.toString('base64'), time: Date.now(),
        });
      }
    } catch (e) {
      this.o.log('warning', `watch scan failed: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }
}
