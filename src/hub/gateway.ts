// The agents' door: a WebSocket endpoint (ws, or wss when a certificate is configured).
// Authentication happens at the HTTP upgrade, before any message is read.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_PAYLOAD, PROTOCOL_VERSION } from '../protocol/agent.js';

export interface GatewayOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  /** returns null when accepted, else the reason for rejection */
  authenticate(host: string, token: string, remote: string): string | null;
  onConnection(ws: WebSocket, host: string, remote: string): void;
}

export class Gateway {
  private server: http.Server | https.Server;
  private wss: WebSocketServer;
  port = 0;

  constructor(private readonly o: GatewayOptions) {
    this.server = o.tls
      ? https.createServer({ cert: fs.readFileSync(o.tls.cert), key: fs.readFileSync(o.tls.key) })
      : http.createServer();
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('drc agent gateway: WebSocket only\n');
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  get scheme(): string {
    return this.o.tls ? 'wss' : 'ws';
  }

  private reject(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nx-drc-reason: ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (!req.url || !req.url.startsWith('/agent')) return this.reject(socket, 404, 'no such endpoint');
    const version = Number(req.headers['x-drc-protocol']);
    if (version !== PROTOCOL_VERSION) return this.reject(socket, 426, `protocol version ${version || 'missing'}, hub speaks ${PROTOCOL_VERSION}`);
    const host = String(req.headers['x-drc-host'] ?? '');
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const why = this.o.authenticate(host, token, remote);
    if (why) return this.reject(socket, 401, why);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.o.onConnection(ws, host, remote));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        const a = this.server.address();
        this.port = typeof a === 'object' && a ? a.port : this.o.port;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.server.close(() => r()));
  }
}
