// A small NBD client: fixed newstyle handshake with structured replies and meta contexts,
// then pipelined READ, WRITE, FLUSH and BLOCK_STATUS requests over a unix socket or TCP.
// Socket reads land in one reusable buffer and replies are parsed from it synchronously,
// except read payloads: the socket reads those straight into the caller's buffer (a copy of
// every byte read costs as much as the hashing that follows it).
import net from 'node:net';
import { ByteQueue } from './byte-queue.js';
import { NbdError } from './errors.js';
import {
  CMD, CMD_FLAG_FUA, FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES, INFO, NBDMAGIC, IHAVEOPT, OPT, OPT_REPLY_MAGIC, REP, REP_ERROR_BIT, TFLAG,
  encodeGo, encodeOption, encodeRequest, encodeSetMetaContext, optionErrorText, type Extent,
} from './protocol.js';
import { ReplyParser, type Request } from './replies.js';

export { NbdError };

export type NbdAddress = { path: string } | { host: string; port: number };

/** `/path/to.sock`, `unix:/path`, `HOST:PORT` or `[v6]:PORT`. */
export function parseNbdAddress(s: string): NbdAddress {
  if (s.startsWith('unix:')) return { path: s.slice(5) };
  if (s.startsWith('/') || s.startsWith('.')) return { path: s };
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new NbdError(`NBD address "${s}": expected a socket path or HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

export function describeAddress(a: NbdAddress): string {
  return 'path' in a ? a.path : `${a.host}:${a.port}`;
}

export interface NbdConnectOptions {
  /** meta contexts to negotiate, e.g. `base:allocation`, `qemu:dirty-bitmap:NAME` */
  metaContexts?: string[];
  timeoutMs?: number;
}

const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
const READ_BUFFER = 1024 * 1024;
/** between payloads a socket read takes about one reply header (structured read: 28 bytes), so the payload after it is read in place */
const HEADER_READ = 32;

export class NbdClient {
  /** the handshake's bytes; after it, `parser` takes them */
  private readonly q = new ByteQueue();
  private parser: ReplyParser | null = null;
  private pending = new Map<number, Request>();
  private nextCookie = 1;
  private failure: NbdError | null = null;
  /** the buffer the socket reads into next when it is a payload's destination */
  private direct: Buffer | null = null;
  private readonly header: Buffer;
  private corked = false;
  size = 0;
  transmissionFlags = 0;
  maxPayload = DEFAULT_MAX_PAYLOAD;
  /** negotiated meta contexts: name → id */
  readonly contexts = new Map<string, number>();

  private constructor(
    private readonly socket: net.Socket,
    readonly exportName: string,
    readonly where: string,
    /** where socket reads land unless a payload's destination takes them */
    private readonly scratch: Buffer,
  ) {
    this.header = scratch.subarray(0, HEADER_READ);
    socket.on('error', (e) => this.fail(new NbdError(`NBD ${where}: ${e.message}`)));
    socket.on('close', () => this.fail(new NbdError(`NBD ${where}: connection closed`)));
  }

  static async connect(address: NbdAddress, exportName: string, opts: NbdConnectOptions = {}): Promise<NbdClient> {
    const where = `${describeAddress(address)} export "${exportName}"`;
    let c: NbdClient | null = null;
    const scratch = Buffer.allocUnsafe(READ_BUFFER);
    // the socket asks for its first buffer before `c` exists
    const onread = { buffer: () => (c ? c.nextReadBuffer() : scratch), callback: (n: number, buf: Uint8Array) => c!.received(n, buf) };
    const socket = 'path' in address ? net.createConnection({ path: address.path, onread }) : net.createConnection({ host: address.host, port: address.port, onread });
    socket.setNoDelay(true);
    c = new NbdClient(socket, exportName, where, scratch);
    const timer = setTimeout(() => c.fail(new NbdError(`NBD ${where}: handshake timed out`)), opts.timeoutMs ?? 10_000);
    try {
      await c.handshake(opts.metaContexts ?? []);
    } catch (e) {
      socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    c.parser = new ReplyParser(c.pending, where);
    return c;
  }

  /** Where the socket reads next: the current payload's destination, else (part of) the scratch buffer. */
  private nextReadBuffer(): Buffer {
    const target = this.parser?.payloadTarget() ?? null;
    this.direct = target;
    if (target) return target;
    return this.parser?.inHeader ? this.header : this.scratch;
  }

  /** `n` bytes from the socket in `into` (scratch is reused for the next read: consume or copy now). */
  private received(n: number, into: Uint8Array): boolean {
    if (!this.parser) {
      this.q.push(Buffer.from(into.subarray(0, n)));
      return true;
    }
    try {
      if (into === this.direct) this.parser.filledInPlace(n);
      else this.parser.push(Buffer.from(into.buffer, into.byteOffset, n));
    } catch (e) {
      this.fail(e instanceof NbdError ? e : new NbdError(`NBD ${this.where}: ${(e as Error).message}`));
      this.socket.destroy();
    }
    return true;
  }

  get readOnly(): boolean {
    return (this.transmissionFlags & TFLAG.READ_ONLY) !== 0;
  }

  /** The server lets clients spread requests over several connections to this export. */
  get canMultiConn(): boolean {
    return (this.transmissionFlags & TFLAG.CAN_MULTI_CONN) !== 0;
  }

  /** requests sent and not yet answered */
  get inFlight(): number {
    return this.pending.size;
  }

  private async handshake(metaContexts: string[]): Promise<void> {
    const hello = await this.q.take(18);
    if (hello.readBigUInt64BE(0) !== NBDMAGIC || hello.readBigUInt64BE(8) !== IHAVEOPT) throw new NbdError(`NBD ${this.where}: not a newstyle NBD server`);
    const serverFlags = hello.readUInt16BE(16);
    if (!(serverFlags & FLAG_FIXED_NEWSTYLE)) throw new NbdError(`NBD ${this.where}: server does not speak fixed newstyle`);
    const cf = Buffer.allocUnsafe(4);
    cf.writeUInt32BE(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES), 0);
    this.socket.write(cf);

    this.socket.write(encodeOption(OPT.STRUCTURED_REPLY));
    const sr = await this.optionReply(OPT.STRUCTURED_REPLY);
    if (sr.type !== REP.ACK) throw new NbdError(`NBD ${this.where}: structured replies refused: ${optionErrorText(sr.type)}`);

    if (metaContexts.length) {
      this.socket.write(encodeSetMetaContext(this.exportName, metaContexts));
      for (;;) {
        const r = await this.optionReply(OPT.SET_META_CONTEXT);
        if (r.type === REP.ACK) break;
        if (r.type === REP.META_CONTEXT) this.contexts.set(r.data.subarray(4).toString('utf8'), r.data.readUInt32BE(0));
        else if (r.type & REP_ERROR_BIT) throw new NbdError(`NBD ${this.where}: meta contexts refused: ${optionErrorText(r.type)}`);
      }
      const missing = metaContexts.filter((m) => !this.contexts.has(m));
      if (missing.length) throw new NbdError(`NBD ${this.where}: server does not offer meta context ${missing.join(', ')}`);
    }

    this.socket.write(encodeGo(this.exportName, [INFO.BLOCK_SIZE]));
    for (;;) {
      const r = await this.optionReply(OPT.GO);
      if (r.type === REP.ACK) break;
      if (r.type & REP_ERROR_BIT) {
        const msg = r.data.length ? `: ${r.data.toString('utf8')}` : '';
        throw new NbdError(`NBD ${this.where}: ${optionErrorText(r.type)}${msg}`);
      }
      if (r.type !== REP.INFO || r.data.length < 2) continue;
      const info = r.data.readUInt16BE(0);
      if (info === INFO.EXPORT && r.data.length >= 12) {
        this.size = Number(r.data.readBigUInt64BE(2));
        this.transmissionFlags = r.data.readUInt16BE(10);
      } else if (info === INFO.BLOCK_SIZE && r.data.length >= 14) {
        this.maxPayload = Math.min(DEFAULT_MAX_PAYLOAD, r.data.readUInt32BE(10));
      }
    }
  }

  private async optionReply(option: number): Promise<{ type: number; data: Buffer }> {
    const h = await this.q.take(20);
    if (h.readBigUInt64BE(0) !== OPT_REPLY_MAGIC) throw new NbdError(`NBD ${this.where}: bad option reply magic`);
    if (h.readUInt32BE(8) !== option) throw new NbdError(`NBD ${this.where}: reply to option ${h.readUInt32BE(8)}, expected ${option}`);
    const type = h.readUInt32BE(12);
    const len = h.readUInt32BE(16);
    if (len > 64 * 1024 * 1024) throw new NbdError(`NBD ${this.where}: option reply of ${len} bytes`);
    return { type, data: Buffer.from(await this.q.take(len)) };
  }

  private send(kind: Request['kind'], type: number, flags: number, offset: number, length: number, init: Pick<Request, 'buf' | 'extents'> = {}, data?: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (offset < 0 || offset + length > this.size) return Promise.reject(new NbdError(`NBD ${this.where}: ${kind} ${offset}+${length} beyond the export's ${this.size} bytes`));
    const cookie = this.nextCookie;
    this.nextCookie = (this.nextCookie % 0xffffffff) + 1;
    return new Promise<void>((resolve, reject) => {
      // one shape for every request: the reply parser's accesses stay monomorphic
      this.pending.set(cookie, { kind, offset, length, buf: init.buf, extents: init.extents, error: undefined, resolve, reject });
      this.batchWrites();
      this.socket.write(encodeRequest(type, flags, cookie, offset, length));
      if (data) this.socket.write(data);
    });
  }

  /** Requests sent in the same tick leave in one write (a read batch is dozens of 28-byte requests). */
  private batchWrites(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /** Read `length` bytes at `offset` into `into` (or a new buffer); large reads are split. */
  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const buf = into ?? Buffer.allocUnsafe(length);
    // the common case (a block or a run of blocks): one request, no bookkeeping around it
    if (length <= this.maxPayload) return this.send('read', CMD.READ, 0, offset, length, { buf }).then(() => buf);
    const parts: Promise<void>[] = [];
    for (let o = 0; o < length; o += this.maxPayload) {
      const n = Math.min(this.maxPayload, length - o);
      parts.push(this.send('read', CMD.READ, 0, offset + o, n, { buf: buf.subarray(o, o + n) }));
    }
    await Promise.all(parts);
    return buf;
  }

  async write(offset: number, data: Buffer, opts: { fua?: boolean } = {}): Promise<void> {
    if (this.readOnly) throw new NbdError(`NBD ${this.where}: export is read-only`);
    const parts: Promise<void>[] = [];
    for (let o = 0; o < data.length; o += this.maxPayload) {
      const chunk = data.subarray(o, o + this.maxPayload);
      parts.push(this.send('write', CMD.WRITE, opts.fua ? CMD_FLAG_FUA : 0, offset + o, chunk.length, {}, chunk));
    }
    await Promise.all(parts);
  }

  flush(): Promise<void> {
    return this.send('flush', CMD.FLUSH, 0, 0, 0);
  }

  /**
   * Extents of `context` covering [offset, offset+length): as many requests as the server
   * needs (it may describe less than asked each time).
   */
  async blockStatus(context: string, offset = 0, length = this.size - offset): Promise<Extent[]> {
    const id = this.contexts.get(context);
    if (id === undefined) throw new NbdError(`NBD ${this.where}: meta context ${context} was not negotiated`);
    const out: Extent[] = [];
    const end = offset + length;
    for (let at = offset; at < end; ) {
      const extents = new Map<number, Extent[]>();
      const n = Math.min(end - at, 0x80000000);
      await this.send('status', CMD.BLOCK_STATUS, 0, at, n, { extents });
      const got = extents.get(id) ?? [];
      if (got.length === 0) throw new NbdError(`NBD ${this.where}: no block status for ${context} at ${at}`);
      for (const e of got) {
        const len = Math.min(e.length, end - e.offset);
        if (len <= 0) break;
        const last = out[out.length - 1];
        if (last && last.flags === e.flags && last.offset + last.length === e.offset) last.length += len;
        else out.push({ offset: e.offset, length: len, flags: e.flags });
        at = e.offset + len;
      }
    }
    return out;
  }

  /** NBD_CMD_DISC, then close the socket. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((r) => this.socket.once('close', () => r()));
    if (!this.failure) this.socket.write(encodeRequest(CMD.DISC, 0, 0, 0, 0));
    this.failure ??= new NbdError(`NBD ${this.where}: closed`);
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    await closed;
    clearTimeout(t);
  }

  private fail(e: NbdError): void {
    this.q.end(e);
    if (!this.failure) this.failure = e;
    for (const r of this.pending.values()) r.reject(this.failure);
    this.pending.clear();
  }
}
