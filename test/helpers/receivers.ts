// Real receivers for notification tests: an HTTP server recording every request, and an
// SMTP server (the smtp-server package) in a child process reporting every message.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { ROOT } from './cluster.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: http.Server;
  /** status codes to answer with, in order; 200 once they run out */
  replies: { status: number; body?: string }[] = [];
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
        const r = this.replies.shift() ?? { status: 200, body: '{"ok":true}' };
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body ?? '');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    return this;
  }

  json<T>(i: number): T {
    return JSON.parse(this.requests[i]!.body) as T;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

const SMTP_SINK = `
import { SMTPServer } from 'smtp-server';
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, done) {
    let data = '';
    stream.on('data', (d) => (data += d));
    stream.on('end', () => {
      process.stdout.write(JSON.stringify({ mail: { from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), data } }) + '\\n');
      done();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** A real SMTP server process on loopback; `mails` fills as messages arrive. */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  port = 0;
  private proc!: ChildProcess;

  async start(): Promise<this> {
    this.proc = spawn(process.execPath, ['--input-type=module', '-e', SMTP_SINK], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`smtp sink exited ${code}`)));
      this.proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const m = JSON.parse(buf.slice(0, nl)) as { port?: number; mail?: ReceivedMail };
          buf = buf.slice(nl + 1);
          if (m.port) {
            this.port = m.port;
            resolve();
          }
          if (m.mail) this.mails.push(m.mail);
        }
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin!.end();
    await done;
  }
}
