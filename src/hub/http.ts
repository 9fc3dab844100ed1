// HTTP for machines: GET /healthz and GET /metrics (Prometheus text format).
import http from 'node:http';

export class HubHttp {
  private server: http.Server;
  port = 0;
  constructor(metrics: () => string, healthy: () => { ok: boolean; detail: object }) {
    this.server = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
      } else if (req.url === '/healthz') {
        const h = healthy();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: h.ok, ...h.detail }));
      } else {
        res.writeHead(404).end('not found\n');
      }
    });
  }
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        this.port = typeof a === 'object' && a ? a.port : port;
        resolve(this.port);
      });
    });
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
