// A PackStore in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Backblaze B2, Cloudflare R2).
// Create-only writes use If-None-Match where the server supports it; files above one part
// go up in parts; throttling and 5xx answers are retried with exponential backoff (by the SDK,
// or by putFile for a pack streamed from its file).
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import type { S3Location } from '../config/types.js';
import { StoreError } from './errors.js';
import { ObjectExistsError, ObjectMissingError, type ObjectStat, type PackStore, type PutOptions } from './pack-store.js';

const PART_BYTES = 16 * 1024 * 1024;
/** above one part goes in parts; the slack keeps a sealed ~16 MiB pack to one request */
const SINGLE_PUT_MAX = PART_BYTES + 1024 * 1024;
/** uploads (whole objects or parts) in flight at once: enough to hide latency, few enough to bound memory */
const UPLOADS_IN_FLIGHT = 4;

/** At most `n` callers at once; the rest wait their turn in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

type BuildStack = { middlewareStack: { add: (mw: never, o: { step: 'build'; name: string }) => void } };

/**
 * Sign the request without the body (x-amz-content-sha256: UNSIGNED-PAYLOAD): the SDK would
 * otherwise hash every 16 MiB pack once more before sending it. Used where the body cannot be
 * altered on the way (TLS, or a loopback endpoint); the packs' integrity is the chunks' own
 * SHA-256 (and GCM tags when encrypted), checked by every restore, verify and copy.
 */
function unsignedPayload<C extends BuildStack>(cmd: C): C {
  const mw = (next: (a: { request: { headers?: Record<string, string> } }) => unknown) => (args: { request: { headers?: Record<string, string> } }) => {
    // (a body the SDK sends aws-chunked with a checksum trailer keeps its STREAMING-… value)
    if (args.request.headers && !args.request.headers['x-amz-content-sha256']?.startsWith('STREAMING')) args.request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    return next(args);
  };
  cmd.middlewareStack.add(mw as never, { step: 'build', name: 'drcUnsignedPayload' });
  return cmd;
}

/**
 * The body's SHA-256 for the request signature, computed in the thread pool (WebCrypto) and
 * given to the signer as the x-amz-content-sha256 header: the SDK would otherwise hash every
 * 16 MiB pack on the event loop while a backup streams in. For plain http across a network.
 */
async function withPayloadHash<C extends BuildStack>(cmd: C, body: Uint8Array): Promise<C> {
  const hex = Buffer.from(await webcrypto.subtle.digest('SHA-256', body)).toString('hex');
  const mw = (next: (a: { request: { headers?: Record<string, string> } }) => unknown) => (args: { request: { headers?: Record<string, string> } }) => {
    if (args.request.headers) args.request.headers['x-amz-content-sha256'] = hex;
    return next(args);
  };
  cmd.middlewareStack.add(mw as never, { step: 'build', name: 'drcPayloadHash' });
  return cmd;
}

/**
 * Write a response body to a new file as it arrives, one synchronous write per socket read
 * (~64 KiB, tens of µs into the page cache): against piping it into a write stream this costs
 * the hub ~35 % less CPU per pack (no stream buffering, no thread-pool round trip per chunk),
 * which a cold restore from S3 spends on every byte. Returns the bytes written; rejects when the
 * body ends early, fails or the signal aborts.
 */
async function bodyToFile(body: Readable, file: string, signal?: AbortSignal): Promise<number> {
  const fd = fs.openSync(file, 'w', 0o600);
  let bytes = 0;
  try {
    body.on('data', (c: Buffer) => {
      try {
        for (let at = 0; at < c.length; ) at += fs.writeSync(fd, c, at);
        bytes += c.length;
      } catch (e) {
        body.destroy(e as Error);
      }
    });
    await finished(body, signal ? { signal } : {});
    return bytes;
  } finally {
    body.destroy();
    fs.closeSync(fd);
  }
}

/** Whether a body sent to this endpoint needs no signature of its own: https (AWS by default) or a loopback address. */
export function payloadProtected(endpoint: string | null): boolean {
  if (!endpoint) return true;
  try {
    const u = new URL(endpoint);
    if (u.protocol === 'https:') return true;
    const h = u.hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h === '::1' || /^127\./.test(h);
  } catch {
    return false;
  }
}

/** An answer worth asking again: throttling, a server error, a dropped connection. */
function retryable(e: unknown): boolean {
  const err = e as SdkError & { cause?: { code?: string } };
  if (err.name === 'AbortError') return false;
  const status = err.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500 && status !== 501 && status !== 507)) return true;
  if (status !== undefined) return false;
  const code = err.code ?? err.cause?.code ?? '';
  return /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(code) || err.name === 'TimeoutError';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a file of `key = value` lines (the AWS credentials format or KEY=VALUE). */
export function s3Credentials(file: string | null, env: NodeJS.ProcessEnv = process.env): S3Credentials {
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new StoreError(`S3 credentials file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const kv = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^\s*([A-Za-z_]+)\s*[=:]\s*(\S+)\s*$/.exec(line);
      if (m) kv.set(m[1]!.toLowerCase(), m[2]!);
    }
    const accessKeyId = kv.get('aws_access_key_id') ?? kv.get('access_key_id');
    const secretAccessKey = kv.get('aws_secret_access_key') ?? kv.get('secret_access_key');
    if (!accessKeyId || !secretAccessKey) throw new StoreError(`S3 credentials file ${file} has no aws_access_key_id and aws_secret_access_key`);
    return { accessKeyId, secretAccessKey };
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new StoreError('no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or credentials_file in the config');
  return { accessKeyId, secretAccessKey };
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  Code?: string;
}

export class S3PackStore implements PackStore {
  readonly local = false;
  readonly packTargetBytes = 16 * 1024 * 1024;
  private readonly client: S3Client;
  /** for streamed uploads: no SDK retries (a consumed stream cannot be sent again); putFile retries with a fresh stream */
  private readonly streamClient: S3Client;
  private readonly attempts: number;
  /** bodies go unsigned (see unsignedPayload) */
  private readonly unsigned: boolean;
  /** the server rejected If-None-Match once: stop sending it */
  private conditional = true;
  /** bounds the bytes held for uploads: each holds at most one part in memory */
  private readonly uploads = new Slots(UPLOADS_IN_FLIGHT);

  constructor(
    readonly loc: S3Location,
    creds: S3Credentials,
    o: { maxAttempts?: number } = {},
  ) {
    // the SDK version is pinned; its notice about future Node versions is not for operators
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.attempts = o.maxAttempts ?? 4;
    this.unsigned = payloadProtected(loc.endpoint);
    // no CRC32 of every body (the SDK's default): integrity is the chunks' own hashes; kept-alive
    // connections, enough for the uploads and downloads in flight
    const common = {
      region: loc.region,
      endpoint: loc.endpoint ?? undefined,
      forcePathStyle: loc.pathStyle,
      credentials: creds,
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
      requestHandler: {
        connectionTimeout: 5000,
        requestTimeout: 120_000,
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
      },
    };
    this.client = new S3Client({ ...common, maxAttempts: this.attempts });
    // its own logger: the SDK otherwise prints a warning on the console for every failed streamed request
    const quiet = () => undefined;
    this.streamClient = new S3Client({ ...common, maxAttempts: 1, logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet } });
  }

  get location(): string {
    return `s3://${this.loc.bucket}/${this.loc.prefix}`;
  }

  private key(name: string): string {
    return `${this.loc.prefix}${name}`;
  }

  /** One line naming the object and what the server said. */
  private fail(e: unknown, name: string, op: string): Error {
    if (e instanceof StoreError || e instanceof ObjectExistsError || e instanceof ObjectMissingError) return e;
    const err = e as SdkError;
    const where = `${this.location}${name}`;
    const status = err.$metadata?.httpStatusCode;
    const code = err.Code ?? err.name ?? err.code ?? 'Error';
    if (err.name === 'AbortError') return new StoreError(`${op} ${where}: cancelled`);
    if (code === 'NoSuchBucket') return new StoreError(`S3 bucket ${this.loc.bucket} does not exist (${this.loc.endpoint ?? 'AWS'})`);
    if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || status === 403) {
      return new StoreError(`S3 ${this.loc.endpoint ?? 'AWS'} refused the credentials or the access (${code}) for ${op} ${where}`);
    }
    if (status === 507 || code === 'InsufficientStorage') return new StoreError(`S3 ${op} ${where}: the server is out of space (507 InsufficientStorage)`);
    const netCode = err.code ?? (e as { cause?: { code?: string } }).cause?.code;
    if (netCode && /^E[A-Z]+/.test(netCode)) return new StoreError(`S3 ${op} ${where}: ${netCode} (is the server at ${this.loc.endpoint ?? 'AWS'} reachable?)`);
    const msg = (err.message ?? '').split('\n')[0]!.slice(0, 200);
    return new StoreError(`S3 ${op} ${where}: ${code}${status ? ` (HTTP ${status})` : ''}${msg && msg !== code ? `: ${msg}` : ''}`);
  }

  private lockParams(o: PutOptions): Partial<PutObjectCommandInput> {
    if (!o.retainUntil) return {};
    return { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: o.retainUntil, ChecksumAlgorithm: 'CRC32' };
  }

  async put(name: string, bytes: Buffer, o: PutOptions = {}): Promise<void> {
    await this.putBody(name, async () => {
      const cmd = new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name), Body: bytes, ContentLength: bytes.length, ...(this.conditional ? { IfNoneMatch: '*' } : {}), ...this.lockParams(o) });
      await this.client.send(this.unsigned ? unsignedPayload(cmd) : await withPayloadHash(cmd, bytes), { abortSignal: o.signal });
    }, o);
  }

  /** One create-only PUT (send() builds and sends it; conditional writes as the server allows). */
  private async putBody(name: string, send: () => Promise<void>, o: PutOptions): Promise<void> {
    try {
      await send();
    } catch (e) {
      const err = e as SdkError;
      const status = err.$metadata?.httpStatusCode;
      if (status === 412 || err.name === 'PreconditionFailed') throw new ObjectExistsError(`${this.location}${name}`);
      if (this.conditional && status === 501) {
        this.conditional = false;
        if (await this.stat(name, o.signal)) throw new ObjectExistsError(`${this.location}${name}`);
        return this.putBody(name, send, o);
      }
      throw this.fail(e, name, 'put');
    }
  }

  /**
   * A sealed pack goes up streamed from its file (no copy of it in memory), at most
   * UPLOADS_IN_FLIGHT at once; throttling and server errors are retried with backoff, each
   * attempt with a fresh stream. Larger files go up in parts.
   */
  async putFile(name: string, file: string, o: PutOptions & { move?: boolean } = {}): Promise<void> {
    const size = fs.statSync(file).size;
    // (an Object Lock put carries a CRC32 checksum, which the SDK sends as a header only for an in-memory body)
    if (size <= SINGLE_PUT_MAX && this.unsigned && !o.retainUntil) {
      await this.uploads.run(() => this.putStreamed(name, file, size, o));
    } else if (size <= SINGLE_PUT_MAX) {
      // a signed body is hashed first: read inside the slot, so a file waiting its turn holds no memory
      await this.uploads.run(async () => this.put(name, await fs.promises.readFile(file), o));
    } else {
      await this.putMultipart(name, file, size, o);
    }
    if (o.move) fs.rmSync(file, { force: true });
  }

  private async putStreamed(name: string, file: string, size: number, o: PutOptions): Promise<void> {
    await this.putBody(name, async () => {
      for (let attempt = 1; ; attempt++) {
        // a read error (a pack dropped meanwhile: the job was discarded) ends the request at once
        const ac = new AbortController();
        const cancel = () => ac.abort();
        o.signal?.addEventListener('abort', cancel, { once: true });
        let readError: Error | null = null;
        const Body = fs.createReadStream(file, { highWaterMark: 1 << 20 });
        Body.on('error', (e) => {
          readError = e;
          ac.abort();
        });
        try {
          const cmd = new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name), Body, ContentLength: size, ...(this.conditional ? { IfNoneMatch: '*' } : {}), ...this.lockParams(o) });
          await this.streamClient.send(unsignedPayload(cmd), { abortSignal: ac.signal });
          return;
        } catch (e) {
          if (readError) throw new StoreError(`S3 put ${this.location}${name}: reading ${file}: ${(readError as NodeJS.ErrnoException).code ?? (readError as Error).message}`);
          if (o.signal?.aborted || attempt >= this.attempts || !retryable(e)) throw e;
        } finally {
          o.signal?.removeEventListener('abort', cancel);
          Body.destroy();
        }
        await sleep(Math.min(20_000, 100 * 2 ** attempt * (0.5 + Math.random())), o.signal);
      }
    }, o);
  }

  private async putMultipart(name: string, file: string, size: number, o: PutOptions): Promise<void> {
    const Key = this.key(name);
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.loc.bucket, Key, ...this.lockParams(o) }), { abortSignal: o.signal });
      uploadId = created.UploadId;
      const fd = await fs.promises.open(file, 'r');
      let parts: { ETag: string; PartNumber: number }[];
      try {
        // parts go up side by side, each read only when its slot is free
        const count = Math.ceil(size / PART_BYTES);
        parts = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            this.uploads.run(async () => {
              const off = i * PART_BYTES;
              const len = Math.min(PART_BYTES, size - off);
              const buf = Buffer.allocUnsafe(len);
              await fd.read(buf, 0, len, off);
              const part = new UploadPartCommand({ Bucket: this.loc.bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: buf, ContentLength: len });
              const r = await this.client.send(this.unsigned ? unsignedPayload(part) : await withPayloadHash(part, buf), { abortSignal: o.signal });
              return { ETag: r.ETag ?? '', PartNumber: i + 1 };
            }),
          ),
        );
      } finally {
        await fd.close();
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.loc.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), { abortSignal: o.signal });
    } catch (e) {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key, UploadId: uploadId })).catch(() => undefined);
      throw this.fail(e, name, 'put');
    }
  }

  async get(name: string, offset?: number, length?: number, signal?: AbortSignal): Promise<Buffer> {
    const Range = offset === undefined && length === undefined ? undefined : `bytes=${offset ?? 0}-${length === undefined ? '' : (offset ?? 0) + length - 1}`;
    if (length === 0) return Buffer.alloc(0);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name), Range }), { abortSignal: signal });
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      const err = e as SdkError;
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) {
        if (err.name !== 'NoSuchBucket') throw new ObjectMissingError(`${this.location}${name}`);
      }
      if (err.$metadata?.httpStatusCode === 416) return Buffer.alloc(0);
      throw this.fail(e, name, 'get');
    }
  }

  async download(name: string, file: string, signal?: AbortSignal): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name) }), { abortSignal: signal });
      const got = await bodyToFile(r.Body as Readable, tmp, signal);
      if (r.ContentLength !== undefined && got !== r.ContentLength) throw new Error(`the server sent ${got} of ${r.ContentLength} bytes`);
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      const err = e as SdkError;
      if (err.name === 'NoSuchKey') throw new ObjectMissingError(`${this.location}${name}`);
      throw this.fail(e, name, 'get');
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<ObjectStat[]> {
    const out: ObjectStat[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.key(prefix), ContinuationToken: token }), { abortSignal: signal });
        for (const c of r.Contents ?? []) if (c.Key) out.push({ name: c.Key.slice(this.loc.prefix.length), size: c.Size ?? 0 });
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.fail(e, prefix, 'list');
    }
    return out;
  }

  async delete(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name) }), { abortSignal: signal });
    } catch (e) {
      throw this.fail(e, name, 'delete');
    }
  }

  async stat(name: string, signal?: AbortSignal): Promise<ObjectStat | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.key(name) }), { abortSignal: signal });
      return { name, size: r.ContentLength ?? 0 };
    } catch (e) {
      const err = e as SdkError;
      if (err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket') {
        // HEAD has no body: a missing bucket also answers 404; tell them apart once
        if (err.name === 'NotFound' || err.name === 'NoSuchKey') return null;
      }
      throw this.fail(e, name, 'stat');
    }
  }

  close(): void {
    this.client.destroy();
    this.streamClient.destroy();
  }
}
