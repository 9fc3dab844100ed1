// The operators' door: WebSocket on a unix socket (mode 0600), and on TCP with a token
// when configured. Requests {id, method, params} get {id, result|error}; subscribers get
// a snapshot then every update.
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiRequest, Update } from '../protocol/operator.js';

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
}

export type ApiHandler = (method: string, params: unknown, client: ApiClientInfo, ws: WebSocket) => Promise<unknown> | unknown;

const MAX_BUFFERED = 8 * 1024 * 1024;

function tokenEquals(given: string | undefined, want: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class OperatorApi {
  private servers: http.Server[] = [];
  private clients = new Map<WebSocket, ApiClientInfo>();
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
      const info: ApiClientInfo = { actor: `operator:${user}`, subscribed: false };
      this.clients.set(ws, info);
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
      const result = await this.handle(req.method, req.params ?? {}, info, ws);
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
    if (this.clients.size === 0) return;
    const text = JSON.stringify(u);
    for (const [ws, info] of this.clients) {
      if (!info.subscribed) continue;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.close(4006, 'client too slow');
        continue;
      }
      ws.send(text);
    }
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
