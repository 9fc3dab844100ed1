// The operators' door: WebSocket on a unix socket (mode 0600), and on TCP (TLS when the
// hub has a certificate) when configured. Who a client is, and whether it may call a
// method, is asked of an ApiAccess (access.ts) at the upgrade and before every request. Requests {id, method, params} get {id, result|error}; subscribers get
// a snapshot then every update — for the hosts they watch (bitmaps.watch: the hosts whose
// detail is on screen) changed-block bitmaps in full and resource metrics; for the others,
// bitmaps as counts when those change (an empty bitmap in host views and snapshots) and no
// metrics. A client that never calls bitmaps.watch gets everything.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseParams, type ApiRequest, type DirtyBitmapView, type HostView, type Role, type Snapshot, type Update } from '../protocol/operator.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Who a connection is: an authenticated identity and the role it acts with. */
export interface ApiIdentity {
  /** `operator:NAME`, `uid:N` (the socket's peer) or `token:hub.api_token` */
  actor: string;
  role: Role;
  via: 'socket' | 'tcp';
  /** `unix`, or host:port over TCP */
  address: string;
  /** the operator's SSH_CLIENT (x-drc-ssh), for the audit log */
  ssh?: string | null;
  /** the user name the client says it runs as (not authenticated; shown in reports) */
  user?: string | null;
  /** the operator token's row; null for the socket's peer and hub.api_token */
  operatorId: number | null;
  /** ms since the epoch when the token stops working */
  expiresAt: number | null;
}

export interface ApiClientInfo extends ApiIdentity {
  subscribed: boolean;
}

/** The door's questions about identities and permissions (answered by access.ts). */
export interface ApiAccess {
  /** who a new connection is; null refuses it with HTTP 401 */
  authenticate(req: http.IncomingMessage, via: 'socket' | 'tcp'): ApiIdentity | null;
  /** why a connected client's token no longer works (expired, revoked), or null */
  lapsed(info: ApiClientInfo): string | null;
  /** why this client may not call this method (audited), or null */
  refuse(info: ApiClientInfo, method: string, params: unknown): ApiError | null;
  /** carry out a permitted request on the client's behalf */
  run<T>(info: ApiClientInfo, method: string, params: unknown, fn: () => Promise<T>): Promise<T>;
}

/** Without an ApiAccess: the socket's peer is an admin, TCP clients are refused. */
const SOCKET_OWNER_ONLY: ApiAccess = {
  authenticate: (_req, via) => (via === 'socket' ? { actor: `uid:${process.getuid?.() ?? '?'}`, role: 'admin', via, address: 'unix', operatorId: null, expiresAt: null } : null),
  lapsed: () => null,
  refuse: () => null,
  run: (_info, _method, _params, fn) => fn(),
};

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

/** how often connected clients' tokens are looked at again (expiry, revocation) */
const LAPSE_CHECK_MS = 2_000;

export class OperatorApi {
  private servers: (http.Server | https.Server)[] = [];
  private lapseTimer: NodeJS.Timeout | null = null;
  private clients = new Map<WebSocket, ApiClientInfo>();
  private feeds = new WeakMap<WebSocket, Feed>();
  /** the latest bitmap per host and volume, for clients that start watching a host */
  private bitmaps = new Map<string, Map<string, DirtyBitmapView>>();
  /** the latest metrics per host, for clients that start watching a host */
  private metrics = new Map<string, MetricsUpdate>();
  tcpPort = 0;

  constructor(
    private readonly handle: ApiHandler,
    private readonly access: ApiAccess = SOCKET_OWNER_ONLY,
  ) {}

  private attach(server: http.Server | https.Server, via: 'socket' | 'tcp'): void {
    const identities = new WeakMap<http.IncomingMessage, ApiIdentity>();
    const wss = new WebSocketServer({
      server,
      maxPayload: 1024 * 1024,
      perMessageDeflate: false,
      // who the client is is settled before the upgrade: an unknown token gets HTTP 401
      verifyClient: (info: { req: http.IncomingMessage }) => {
        const who = this.access.authenticate(info.req, via);
        if (who) identities.set(info.req, who);
        return who !== null;
      },
    });
    wss.on('connection', (ws, req) => {
      const who = identities.get(req);
      if (!who) return ws.close(4001, 'unauthenticated');
      const info: ApiClientInfo = { ...who, subscribed: false };
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
      const refusal = this.access.refuse(info, req.method, req.params);
      if (refusal) throw refusal;
      const result =
        req.method === 'bitmaps.watch'
          ? this.watchBitmaps(ws, info, req.params)
          : await this.access.run(info, req.method, req.params, async () => this.handle(req.method, req.params ?? {}, info, ws));
      ws.send(JSON.stringify({ id: req.id, result: result ?? null }));
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'internal';
      ws.send(JSON.stringify({ id: req.id, error: { code, message: (e as Error).message } }));
    }
  }

  async listenUnix(path: string): Promise<void> {
    fs.rmSync(path, { force: true });
    const server = http.createServer();
    this.attach(server, 'socket');
    this.watchLapses();
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

  /** TCP, with TLS when a certificate is given (wss://). */
  async listenTcp(host: string, port: number, tls?: { cert: string; key: string }): Promise<number> {
    const server = tls ? https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }) : http.createServer();
    this.attach(server, 'tcp');
    this.watchLapses();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address();
    this.tcpPort = typeof a === 'object' && a ? a.port : port;
    this.servers.push(server);
    return this.tcpPort;
  }

  /** Close the connections of clients whose token expired or was revoked, now and every 2 s. */
  private watchLapses(): void {
    if (this.lapseTimer) return;
    this.lapseTimer = setInterval(() => this.dropLapsed(), LAPSE_CHECK_MS);
    this.lapseTimer.unref();
  }

  /** Close every connection whose token no longer works (called at once when one is revoked). */
  dropLapsed(): void {
    for (const [ws, info] of this.clients) {
      const why = this.access.lapsed(info);
      if (why) {
        ws.close(4005, why);
        this.clients.delete(ws);
      }
    }
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
    if (this.lapseTimer) clearInterval(this.lapseTimer);
    for (const ws of this.clients.keys()) ws.terminate();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
