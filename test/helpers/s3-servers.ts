// S3 servers for tests: s3rver as a real process, and a strict in-process server for the
// rules s3rver ignores (If-None-Match create-only, Object Lock retention refusing a delete)
// and for injected faults (503 SlowDown, 507 InsufficientStorage, wrong credentials).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ROOT, waitFor } from './cluster.js';

export const S3RVER_KEY = 'S3RVER';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** s3rver serving DIR on a free port with one bucket (path-style, keys S3RVER/S3RVER). */
export class S3rverProc {
  proc: ChildProcess | null = null;
  port = 0;
  log = '';
  constructor(
    readonly dir: string,
    readonly bucket = 'drc',
    /** node flags (e.g. --cpu-prof); with any, kill() asks s3rver to exit (SIGINT) so a profile gets written */
    readonly nodeArgs: string[] = [],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    fs.mkdirSync(this.dir, { recursive: true });
    if (!this.port) this.port = await freePort();
    const bin = path.join(ROOT, 'node_modules', '.bin', 's3rver');
    const exitOnSigint = this.nodeArgs.length ? ["--import=data:text/javascript,process.on('SIGINT',()=>process.exit(0))", ...this.nodeArgs] : [];
    this.proc = spawn(process.execPath, ['--openssl-legacy-provider', ...exitOnSigint, bin, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '-s', '--no-vhost-buckets', '--configure-bucket', this.bucket], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    await waitFor(`s3rver on ${this.port}`, () => new Promise<boolean>((r) => net.connect(this.port, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); r(true); }).on('error', () => r(false))));
    return this;
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(this.nodeArgs.length ? 'SIGINT' : 'SIGKILL');
    await done;
  }
}

interface StoredObject {
  body: Buffer;
  retainUntil: number | null;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message = code): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** Decode an aws-chunked body (signed or unsigned, with or without trailers). */
function decodeAwsChunked(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let o = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', o);
    if (eol < 0) break;
    const size = parseInt(b.subarray(o, eol).toString().split(';')[0]!, 16);
    o = eol + 2;
    if (!size) break;
    out.push(b.subarray(o, o + size));
    o += size + 2;
  }
  return Buffer.concat(out);
}

export class StrictS3Server {
  readonly objects = new Map<string, StoredObject>();
  readonly buckets = new Set<string>();
  private server: http.Server | null = null;
  port = 0;
  accessKey = S3RVER_KEY;
  /** answer the next requests matching `when` with this status and code */
  private faults: { status: number; code: string; left: number; when: (method: string, key: string) => boolean }[] = [];
  private cuts: { left: number; when: (key: string) => boolean }[] = [];
  requests = 0;

  constructor(bucket = 'drc') {
    this.buckets.add(bucket);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  fail(status: number, code: string, times: number, when: (method: string, key: string) => boolean = () => true): void {
    this.faults.push({ status, code, left: times, when });
  }

  /** send the next `times` GETs matching `when` half their body, then drop the connection */
  cutBodies(times: number, when: (key: string) => boolean = () => true): void {
    this.cuts.push({ left: times, when });
  }

  clearFaults(): void {
    this.faults = [];
    this.cuts = [];
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    this.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization ?? '';
    if (!auth.includes(`Credential=${this.accessKey}/`)) return xmlError(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const fault = this.faults.find((f) => f.left > 0 && f.when(method, key));
    if (fault) {
      fault.left--;
      return xmlError(res, fault.status, fault.code);
    }
    if (!this.buckets.has(bucket)) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const id = `${bucket}/${key}`;
    const obj = this.objects.get(id);
    if (method === 'GET' && key === '') return this.list(res, bucket, url.searchParams.get('prefix') ?? '');
    if (method === 'PUT') {
      if (url.searchParams.has('uploadId') || url.searchParams.has('uploads')) return xmlError(res, 501, 'NotImplemented');
      if (req.headers['if-none-match'] === '*' && obj) return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      if (obj?.retainUntil && obj.retainUntil > Date.now()) return xmlError(res, 403, 'AccessDenied', 'Object is WORM protected');
      const chunked = String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING');
      const body = chunked ? decodeAwsChunked(raw) : raw;
      const until = req.headers['x-amz-object-lock-retain-until-date'];
      this.objects.set(id, { body, retainUntil: typeof until === 'string' ? Date.parse(until) : null });
      res.writeHead(200, { etag: '"x"' });
      res.end();
      return;
    }
    if (!obj) {
      if (method === 'HEAD') {
        res.writeHead(404);
        res.end();
      return;
      }
      if (method === 'DELETE') {
        res.writeHead(204);
        res.end();
      return;
      }
      return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    }
    if (method === 'HEAD') {
      res.writeHead(200, { 'content-length': obj.body.length });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      if (obj.retainUntil && obj.retainUntil > Date.now()) return xmlError(res, 403, 'AccessDenied', 'Object is WORM protected and cannot be deleted');
      this.objects.delete(id);
      res.writeHead(204);
      res.end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), obj.body.length - 1) : obj.body.length - 1;
      if (start >= obj.body.length) return xmlError(res, 416, 'InvalidRange');
      res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${obj.body.length}` });
      res.end(obj.body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-length': obj.body.length });
    const cut = this.cuts.find((c) => c.left > 0 && c.when(key));
    if (cut) {
      cut.left--;
      res.write(obj.body.subarray(0, obj.body.length >> 1), () => res.destroy());
      return;
    }
    res.end(obj.body);
  }

  private list(res: http.ServerResponse, bucket: string, prefix: string): void {
    const items = [...this.objects].filter(([k]) => k.startsWith(`${bucket}/${prefix}`));
    const contents = items.map(([k, o]) => `<Contents><Key>${k.slice(bucket.length + 1)}</Key><Size>${o.body.length}</Size></Contents>`).join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${items.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`);
  }
}
