// The operators' door: WebSocket on a unix socket (mode 0600), and on TCP with a token
// when configured. Requests {id, method, params} get {id, result|error}; subscribers get
// a snapshot then every update — for the hosts they watch (bitmaps.watch: the hosts whose
// detail is on screen) changed-block bitmaps in full and resource metrics; for the others,
// bitmaps as counts when those change (an empty bitmap in host views and snapshots) and no
// metrics. A client that never calls bitmaps.watch gets everything.
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseParams, type ApiRequest, type DirtyBitmapView, type HostView, type Snapshot, type Update } from '../protocol/operator.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClientInfo {
  actor: string;
  subscribed: boolean;
  /** the operator's SSH_CLIENT (x-drc-ssh), for the audit log */
  ssh?: string | null;
}

export type ApiHandler = (method: string, params: unknown, client: ApiClientInfo, ws: WebSocket) => Promise<unknown> | unknown;

/**
 * A subscriber whose send buffer stays above MAX_BUFFERED for SLOW_GRACE_MS, or ever goes
 * above HARD_MAX_BUFFERED, is dropped as too slow. The grace lets a large snapshot (some
 * MB with hundreds of hosts) drain on its own.
 */
const MAX_BUFFERED = 8 * 1024 * 1024;
const HARD_MAX_BUFFERED = 64 * 1024 * 1024;
const SLOW_GRACE_MS = 5_000;

/** What a subscriber is sent besides what everyone is sent. */
interface Feed {
  /** hosts whose bitmaps (in full) and metrics it gets; null: every host's (the default) */
  bitmapHosts: ReadonlySet<string> | null;
  /** since when its send buffer is above MAX_BUFFERED */
  slowSince: number | null;
}

type BitmapUpdate = Extract<Update, { type: 'bitmap' }>;
type MetricsUpdate = Extract<Update, { type: 'metrics' }>;

function sameCounts(a: DirtyBitmapView, b: DirtyBitmapView): boolean {
  return a.dirtyCount === b.dirtyCount && a.dirtyBytes === b.dirtyBytes && a.blockCount === b.blockCount && a.blockSize === b.blockSize;
}

/** A host view without its bitmaps, for a client whose screen does not show them. */
function withoutBitmaps(h: HostView): HostView {
  if (!h.volumes.some((v) => v.dirty && v.dirty.bitmap !== '')) return h;
  return { ...h, volumes: h.volumes.map((v) => (v.dirty ? { ...v, dirty: { ...v.dirty, bitmap: '' } } : v)) };
}

function tokenEquals(given: string | undefined, want: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class OperatorApi {
  private servers: http.Server[] = [];
  private clients = new Map<WebSocket, ApiClientInfo>();
  private feeds = new WeakMap<WebSocket, Feed>();
  /** the latest bitmap per host and volume, for clients that start watching a host */
  private bitmaps = new Map<string, Map<string, DirtyBitmapView>>();
  /** the latest metrics per host, for clients that start watching a host */
  private metrics = new Map<string, MetricsUpdate>();
  tcpPort = 0;

  constructor(private readonly handle: ApiHandler) {}

  private attach(server: http.Server, token: string | null): void {
    const wss = new WebSocketServer({
      server,
      maxPayload: 1024 * 1024,
      perMessageDeflate: false,
      // over TCP the operator token is checked before the upgrade: a wrong one gets HTTP 401
      verifyClient: (info: { req: http.IncomingMessage }) => token === null || tokenEquals(info.req.headers.authorization, `Bearer ${token}`),
    });
    wss.on('connection', (ws, req) => {
      const user = String(req.headers['x-drc-user'] ?? 'unknown').slice(0, 64);
      const ssh = req.headers['x-drc-ssh'] === undefined ? null : String(req.headers['x-drc-ssh']).slice(0, 128);
      const info: ApiClientInfo = { actor: `operator:${user}`, subscribed: false, ssh };
      this.clients.set(ws, info);
      this.feeds.set(ws, { bitmapHosts: null, slowSince: null });
      ws.on('close', () => this.clients.delete(ws));
      ws.on('error', () => undefined);
      ws.on('message', (data) => void this.onMessage(ws, info, data.toString()));
    });
    server.on('request', (_req, res) => res.writeHead(426).end('drc operator API: WebSocket only\n'));
  }

  private async onMessage(ws: WebSocket, info: ApiClientInfo, text: string): Promise<void> {
    let req: ApiRequest;
    try {
      const v = JSON.parse(text) as ApiRequest;
      if (typeof v !== 'object' || v === null || typeof v.id !== 'number' || typeof v.method !== 'string') throw new Error('bad request');
      req = v;
    } catch {
      ws.close(4002, 'malformed request');
      return;
    }
    try {
      const result = req.method === 'bitmaps.watch' ? this.watchBitmaps(ws, info, req.params) : await this.handle(req.method, req.params ?? {}, info, ws);
      ws.send(JSON.stringify({ id: req.id, result: result ?? null }));
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'internal';
      ws.send(JSON.stringify({ id: req.id, error: { code, message: (e as Error).message } }));
    }
  }

  async listenUnix(path: string): Promise<void> {
    fs.rmSync(path, { force: true });
    const server = http.createServer();
    this.attach(server, null);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const old = process.umask(0o177);
      server.listen(path, () => {
        process.umask(old);
        resolve();
      });
    });
    fs.chmodSync(path, 0o600);
    this.servers.push(server);
  }

  async listenTcp(host: string, port: number, token: string): Promise<number> {
    const server = http.createServer();
    this.attach(server, token);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address();
    this.tcpPort = typeof a === 'object' && a ? a.port : port;
    this.servers.push(server);
    return this.tcpPort;
  }

  /** Send an update to every subscriber; a client too slow to keep up is dropped. */
  broadcast(u: Update): void {
    if (u.type === 'bitmap') return this.broadcastBitmap(u);
    if (u.type === 'metrics') return this.broadcastMetrics(u);
    // host views carry the volumes' bitmaps too: a committed point resets them this way
    if (u.type === 'host') for (const v of u.host.volumes) if (v.dirty) this.latestOf(u.host.name).set(v.name, v.dirty);
    if (u.type === 'host.removed') {
      this.bitmaps.delete(u.name);
      this.metrics.delete(u.name);
    }
    if (this.clients.size === 0) return;
    let text: string | null = null;
    let brief: string | null = null;
    for (const [ws, info] of this.clients) {
      if (!info.subscribed || !this.keepsUp(ws)) continue;
      if (u.type === 'host' && !this.watches(ws, u.host.name)) ws.send((brief ??= JSON.stringify({ ...u, host: withoutBitmaps(u.host) })));
      else ws.send((text ??= JSON.stringify(u)));
    }
  }

  /** The snapshot as this client is to get it: bitmaps of the hosts it watches only. */
  snapshotFor(ws: WebSocket, s: Snapshot): Snapshot {
    const hosts = this.feeds.get(ws)?.bitmapHosts ?? null;
    return hosts === null ? s : { ...s, hosts: s.hosts.map((h) => (hosts.has(h.name) ? h : withoutBitmaps(h))) };
  }

  private watches(ws: WebSocket, host: string): boolean {
    const hosts = this.feeds.get(ws)?.bitmapHosts ?? null;
    return hosts === null || hosts.has(host);
  }

  /**
   * A bitmap goes in full to the clients watching its host (a few KB to some hundred KB,
   * every second per volume); the others get its counts, and only when they change.
   */
  private broadcastBitmap(u: BitmapUpdate): void {
    const latest = this.latestOf(u.host);
    const previous = latest.get(u.volume);
    latest.set(u.volume, u.dirty);
    const countsChanged = !previous || !sameCounts(previous, u.dirty);
    let full: string | null = null;
    let brief: string | null = null;
    for (const [ws, info] of this.clients) {
      if (!info.subscribed) continue;
      if (this.watches(ws, u.host)) {
        if (this.keepsUp(ws)) ws.send((full ??= JSON.stringify(u)));
      } else if (countsChanged && this.keepsUp(ws)) {
        const { bitmap: _, ...backlog } = u.dirty;
        ws.send((brief ??= JSON.stringify({ type: 'backlog', host: u.host, volume: u.volume, backlog } satisfies Update)));
      }
    }
  }

  /** A host's metrics (every few seconds) go to the clients watching it only. */
  private broadcastMetrics(u: MetricsUpdate): void {
    this.metrics.set(u.host, u);
    let text: string | null = null;
    for (const [ws, info] of this.clients) {
      if (info.subscribed && this.watches(ws, u.host) && this.keepsUp(ws)) ws.send((text ??= JSON.stringify(u)));
    }
  }

  private latestOf(host: string): Map<string, DirtyBitmapView> {
    let m = this.bitmaps.get(host);
    if (!m) {
      m = new Map();
      this.bitmaps.set(host, m);
    }
    return m;
  }

  /** `bitmaps.watch`: a question about this connection's own feed, answered here. */
  private watchBitmaps(ws: WebSocket, info: ApiClientInfo, params: unknown): { ok: true } {
    let hosts: string[] | null;
    try {
      hosts = parseParams('bitmaps.watch', params).hosts;
    } catch (e) {
      throw new ApiError('bad-request', `bitmaps.watch: ${(e as Error).message}`);
    }
    const feed = this.feeds.get(ws);
    if (!feed) return { ok: true };
    const before = feed.bitmapHosts;
    feed.bitmapHosts = hosts === null ? null : new Set(hosts);
    // what it did not get in full until now, it gets now
    if (info.subscribed && feed.bitmapHosts !== null) {
      for (const host of feed.bitmapHosts) {
        if (before === null || before.has(host)) continue;
        for (const [volume, dirty] of this.bitmaps.get(host) ?? []) ws.send(JSON.stringify({ type: 'bitmap', host, volume, dirty } satisfies Update));
        const m = this.metrics.get(host);
        if (m) ws.send(JSON.stringify(m));
      }
    }
    return { ok: true };
  }

  /** false, and the client is dropped, when it has been too slow to keep up for too long */
  private keepsUp(ws: WebSocket): boolean {
    const feed = this.feeds.get(ws);
    if (ws.bufferedAmount <= MAX_BUFFERED) {
      if (feed) feed.slowSince = null;
      return true;
    }
    const now = Date.now();
    if (feed) feed.slowSince ??= now;
    if (ws.bufferedAmount > HARD_MAX_BUFFERED || !feed || now - feed.slowSince! > SLOW_GRACE_MS) {
      ws.close(4006, 'client too slow');
      return false;
    }
    return true;
  }

  hasSubscribers(): boolean {
    for (const c of this.clients.values()) if (c.subscribed) return true;
    return false;
  }

  async close(): Promise<void> {
    for (const ws of this.clients.keys()) ws.terminate();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
