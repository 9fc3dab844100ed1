// A read-only NBD export of one volume at one recovery point, served on a unix socket (the
// mirror of the agent's NBD client): fixed newstyle handshake, NBD_OPT_GO/INFO/EXPORT_NAME,
// structured replies, base:allocation block status (zero blocks are holes), and every block
// read from the packs and hash-checked before it is sent (point-reader.ts, off the event loop;
// requests are served concurrently and answered as they complete, each reply one writev of the
// decoded blocks, no copy). A damaged block answers EIO and is reported with its volume and
// index; writes answer EPERM.
import fs from 'node:fs';
import net from 'node:net';
import type { BlockStore } from './block-store.js';
import { chunkPool } from './chunk-pool.js';
import { collectNow } from './collect.js';
import { PointReader } from './point-reader.js';

const NBDMAGIC = 0x4e42444d41474943n;
const IHAVEOPT = 0x49484156454f5054n;
const OPT_REPLY_MAGIC = 0x0003e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
const SIMPLE_REPLY_MAGIC = 0x67446698;
const STRUCTURED_REPLY_MAGIC = 0x668e33ef;
const OPT = { EXPORT_NAME: 1, ABORT: 2, LIST: 3, INFO: 6, GO: 7, STRUCTURED_REPLY: 8, LIST_META_CONTEXT: 9, SET_META_CONTEXT: 10 };
const REP = { ACK: 1, SERVER: 2, INFO: 3, META_CONTEXT: 4, ERR_UNSUP: 0x80000001, ERR_INVALID: 0x80000003, ERR_UNKNOWN: 0x80000006 };
const TFLAG = { HAS_FLAGS: 1, READ_ONLY: 2, SEND_FLUSH: 4, SEND_DF: 128, CAN_MULTI_CONN: 256 };
const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, CACHE: 5, WRITE_ZEROES: 6, BLOCK_STATUS: 7 };
const REPLY = { OFFSET_DATA: 1, OFFSET_HOLE: 2, BLOCK_STATUS: 5, ERROR: 0x8001 };
const EPERM = 1;
const EIO = 5;
const EINVAL = 22;
const MAX_REQUEST = 32 * 1024 * 1024;
/** requests of one connection being served at once; past this the socket is not read */
const MAX_IN_FLIGHT = 32;
const META_ALLOCATION = 'base:allocation';
const META_ID = 1;

export interface NbdDamage {
  volume: string;
  block: number;
  message: string;
}

export interface NbdExportOptions {
  store: BlockStore;
  pointId: number;
  volume: string;
  socket: string;
  /** a block failed its hash check (the read answered EIO) */
  onDamage?: (d: NbdDamage) => void;
}

/** how long after an export closes its memory is collected */
const COLLECT_AFTER_MS = 50;

export class NbdExportServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private reader: PointReader | null = null;
  private release: (() => void) | null = null;
  /** bytes served and blocks verified, for the run's steps */
  bytesRead = 0;

  constructor(private readonly o: NbdExportOptions) {}

  get exportName(): string {
    return this.o.volume;
  }

  get size(): number {
    return this.reader?.size ?? 0;
  }

  /** the memory the export's blocks are decoded into, once a read made it (tests) */
  decodeMemory(): SharedArrayBuffer | null {
    return this.reader?.decodeMemory() ?? null;
  }

  /** bytes of the point, hash-checked like every served read (after listen) */
  readAt(offset: number, length: number): Promise<Buffer> {
    if (!this.reader) throw new Error('the export is not listening');
    return this.reader.read(offset, Math.min(length, this.reader.size - offset));
  }

  async listen(): Promise<void> {
    // the pack readers start while the point's block map loads: a guest's first reads need them
    void chunkPool().warm();
    this.release = this.o.store.beginRead(this.o.pointId);
    this.reader = new PointReader(this.o.store, this.o.store.blockMap(this.o.pointId), this.o.volume);
    fs.rmSync(this.o.socket, { force: true });
    const server = net.createServer((s) => this.serve(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.socket, () => resolve());
    });
  }

  async close(): Promise<void> {
    const closed = [...this.sockets].map((s) => new Promise<void>((r) => (s.closed ? r() : s.once('close', () => r()))));
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(this.o.socket, { force: true });
    this.release?.();
    this.release = null;
    this.reader = null;
    // once the connections are closed the reader's decode ring (~100 MiB once a guest has read
    // much) is garbage: a collection frees it soon rather than after many more exports
    // (store/collect.ts). From a timer of its own: async frames still suspended in this close
    // and its callers may hold the reader a moment longer
    await Promise.all(closed);
    setTimeout(() => collectNow(), COLLECT_AFTER_MS).unref();
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const conn = new Connection(socket, this.reader!, this.o, (n) => (this.bytesRead += n));
    conn.start();
  }
}

class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private phase: 'flags' | 'options' | 'transmission' = 'flags';
  private structured = false;
  private meta = false;
  private noZeroes = false;
  private inFlight = 0;
  private closing = false;
  /** reads whose replies are still being sent: their blocks stay pinned until then */
  private readonly sending = new Set<() => void>();

  constructor(
    private readonly socket: net.Socket,
    private readonly reader: PointReader,
    private readonly o: NbdExportOptions,
    private readonly counted: (n: number) => void,
  ) {}

  start(): void {
    const hello = Buffer.alloc(18);
    hello.writeBigUInt64BE(NBDMAGIC, 0);
    hello.writeBigUInt64BE(IHAVEOPT, 8);
    hello.writeUInt16BE(1 | 2, 16); // FIXED_NEWSTYLE | NO_ZEROES
    this.socket.write(hello);
    this.socket.on('close', () => {
      for (const release of this.sending) release();
      this.sending.clear();
    });
    this.socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      try {
        this.pump();
      } catch {
        this.socket.destroy();
      }
    });
  }

  private pump(): void {
    for (;;) {
      if (this.phase === 'flags') {
        if (this.buf.length < 4) return;
        this.noZeroes = (this.buf.readUInt32BE(0) & 2) !== 0;
        this.buf = this.buf.subarray(4);
        this.phase = 'options';
      } else if (this.phase === 'options') {
        if (this.buf.length < 16) return;
        if (this.buf.readBigUInt64BE(0) !== IHAVEOPT) return void this.socket.destroy();
        const opt = this.buf.readUInt32BE(8);
        const len = this.buf.readUInt32BE(12);
        if (len > 65536) return void this.socket.destroy();
        if (this.buf.length < 16 + len) return;
        const data = this.buf.subarray(16, 16 + len);
        this.buf = this.buf.subarray(16 + len);
        this.option(opt, data);
        if (this.socket.destroyed) return;
      } else {
        if (this.buf.length < 28) return;
        if (this.buf.readUInt32BE(0) !== REQUEST_MAGIC) return void this.socket.destroy();
        const type = this.buf.readUInt16BE(6);
        const length = this.buf.readUInt32BE(24);
        const payload = type === CMD.WRITE ? length : 0;
        if (this.buf.length < 28 + payload) return;
        const req = { flags: this.buf.readUInt16BE(4), type, handle: Buffer.from(this.buf.subarray(8, 16)), offset: Number(this.buf.readBigUInt64BE(16)), length };
        this.buf = this.buf.subarray(28 + payload);
        this.request(req);
        if (this.socket.destroyed) return;
      }
    }
  }

  private optReply(opt: number, type: number, data: Buffer = Buffer.alloc(0)): void {
    const h = Buffer.alloc(20);
    h.writeBigUInt64BE(OPT_REPLY_MAGIC, 0);
    h.writeUInt32BE(opt, 8);
    h.writeUInt32BE(type, 12);
    h.writeUInt32BE(data.length, 16);
    this.socket.write(Buffer.concat([h, data]));
  }

  private flags(): number {
    return TFLAG.HAS_FLAGS | TFLAG.READ_ONLY | TFLAG.SEND_FLUSH | TFLAG.CAN_MULTI_CONN | (this.structured ? TFLAG.SEND_DF : 0);
  }

  private exportInfo(): Buffer {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(0, 0);
    b.writeBigUInt64BE(BigInt(this.reader.size), 2);
    b.writeUInt16BE(this.flags(), 10);
    return b;
  }

  private nameOk(name: string): boolean {
    return name === '' || name === this.o.volume;
  }

  private option(opt: number, data: Buffer): void {
    switch (opt) {
      case OPT.EXPORT_NAME: {
        if (!this.nameOk(data.toString('utf8'))) return void this.socket.destroy();
        const b = Buffer.alloc(10 + (this.noZeroes ? 0 : 124));
        b.writeBigUInt64BE(BigInt(this.reader.size), 0);
        b.writeUInt16BE(this.flags(), 8);
        this.socket.write(b);
        this.phase = 'transmission';
        return;
      }
      case OPT.ABORT:
        this.optReply(opt, REP.ACK);
        this.socket.end();
        return;
      case OPT.LIST: {
        const n = Buffer.from(this.o.volume, 'utf8');
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n.length, 0);
        this.optReply(opt, REP.SERVER, Buffer.concat([b, n]));
        this.optReply(opt, REP.ACK);
        return;
      }
      case OPT.STRUCTURED_REPLY:
        this.structured = true;
        this.optReply(opt, REP.ACK);
        return;
      case OPT.LIST_META_CONTEXT:
      case OPT.SET_META_CONTEXT: {
        const queries = this.metaQueries(data);
        if (queries === null) return this.optReply(opt, REP.ERR_INVALID);
        if (!this.structured && opt === OPT.SET_META_CONTEXT) return this.optReply(opt, REP.ERR_INVALID);
        const wanted = queries.length === 0 ? opt === OPT.LIST_META_CONTEXT : queries.some((q) => q === META_ALLOCATION || q === 'base:');
        if (wanted) {
          const id = Buffer.alloc(4);
          id.writeUInt32BE(META_ID, 0);
          this.optReply(opt, REP.META_CONTEXT, Buffer.concat([id, Buffer.from(META_ALLOCATION)]));
          if (opt === OPT.SET_META_CONTEXT) this.meta = true;
        }
        this.optReply(opt, REP.ACK);
        return;
      }
      case OPT.INFO:
      case OPT.GO: {
        if (data.length < 6) return this.optReply(opt, REP.ERR_INVALID);
        const nlen = data.readUInt32BE(0);
        if (data.length < 4 + nlen + 2) return this.optReply(opt, REP.ERR_INVALID);
        if (!this.nameOk(data.subarray(4, 4 + nlen).toString('utf8'))) return this.optReply(opt, REP.ERR_UNKNOWN);
        this.optReply(opt, REP.INFO, this.exportInfo());
        const bs = Buffer.alloc(14);
        bs.writeUInt16BE(3, 0);
        bs.writeUInt32BE(1, 2);
        bs.writeUInt32BE(Math.min(this.reader.blockSize, 4096), 6);
        bs.writeUInt32BE(MAX_REQUEST, 10);
        this.optReply(opt, REP.INFO, bs);
        this.optReply(opt, REP.ACK);
        if (opt === OPT.GO) this.phase = 'transmission';
        return;
      }
      default:
        this.optReply(opt, REP.ERR_UNSUP);
    }
  }

  private metaQueries(data: Buffer): string[] | null {
    if (data.length < 8) return null;
    const nlen = data.readUInt32BE(0);
    let at = 4 + nlen;
    if (data.length < at + 4) return null;
    const n = data.readUInt32BE(at);
    at += 4;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      if (data.length < at + 4) return null;
      const l = data.readUInt32BE(at);
      out.push(data.subarray(at + 4, at + 4 + l).toString('utf8'));
      at += 4 + l;
    }
    return out;
  }

  /** header and payload in one writev; `sent` once the socket has taken the last byte (or failed) */
  private send(h: Buffer, payload: Buffer[], sent?: () => void): void {
    this.socket.cork();
    this.socket.write(h);
    payload.forEach((p, i) => (i === payload.length - 1 && sent ? this.socket.write(p, () => sent()) : this.socket.write(p)));
    if (payload.length === 0 && sent) sent();
    this.socket.uncork();
  }

  private simple(handle: Buffer, error: number, data: Buffer[] = [], sent?: () => void): void {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
    h.writeUInt32BE(error, 4);
    handle.copy(h, 8);
    this.send(h, data, sent);
  }

  private chunk(handle: Buffer, type: number, done: boolean, payload: Buffer[], sent?: () => void): void {
    const h = Buffer.alloc(20);
    h.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0);
    h.writeUInt16BE(done ? 1 : 0, 4);
    h.writeUInt16BE(type, 6);
    handle.copy(h, 8);
    h.writeUInt32BE(payload.reduce((a, p) => a + p.length, 0), 16);
    this.send(h, payload, sent);
  }

  private fail(handle: Buffer, errno: number, message: string): void {
    if (!this.structured) return this.simple(handle, errno);
    const m = Buffer.from(message.slice(0, 1000), 'utf8');
    const p = Buffer.alloc(6 + m.length);
    p.writeUInt32BE(errno, 0);
    p.writeUInt16BE(m.length, 4);
    m.copy(p, 6);
    this.chunk(handle, REPLY.ERROR, true, [p]);
  }

  private request(r: { flags: number; type: number; handle: Buffer; offset: number; length: number }): void {
    switch (r.type) {
      case CMD.DISC:
        // the requests still being served are answered first
        if (this.inFlight > 0) this.closing = true;
        else this.socket.end();
        return;
      case CMD.FLUSH:
      case CMD.CACHE:
        return this.structured ? this.chunk(r.handle, 0, true, [Buffer.alloc(0)]) : this.simple(r.handle, 0);
      case CMD.WRITE:
      case CMD.TRIM:
      case CMD.WRITE_ZEROES:
        return this.fail(r.handle, EPERM, 'the export is read-only');
      case CMD.READ:
        return this.read(r);
      case CMD.BLOCK_STATUS:
        return this.blockStatus(r);
      default:
        return this.fail(r.handle, EINVAL, `unsupported command ${r.type}`);
    }
  }

  private read(r: { handle: Buffer; offset: number; length: number }): void {
    if (r.offset + r.length > this.reader.size || r.length > MAX_REQUEST) return this.fail(r.handle, EINVAL, 'read beyond the end of the export');
    this.inFlight++;
    if (this.inFlight >= MAX_IN_FLIGHT) this.socket.pause();
    this.reader.readPinned(r.offset, r.length).then(
      ({ parts, release }) => {
        this.counted(r.length);
        if (this.socket.destroyed) return release();
        this.sending.add(release);
        const sent = () => {
          this.sending.delete(release);
          release();
        };
        if (!this.structured) return this.simple(r.handle, 0, parts, sent);
        const off = Buffer.alloc(8);
        off.writeBigUInt64BE(BigInt(r.offset), 0);
        this.chunk(r.handle, REPLY.OFFSET_DATA, true, [off, ...parts], sent);
      },
      (e: unknown) => {
        const message = (e as Error).message;
        const block = /block (\d+)/.exec(message);
        this.o.onDamage?.({ volume: this.o.volume, block: block ? Number(block[1]) : Math.floor(r.offset / this.reader.blockSize), message });
        if (!this.socket.destroyed) this.fail(r.handle, EIO, message);
      },
    ).finally(() => {
      this.inFlight--;
      if (this.inFlight < MAX_IN_FLIGHT && this.socket.isPaused()) this.socket.resume();
      if (this.inFlight === 0 && this.closing) this.socket.end();
    });
  }

  private blockStatus(r: { handle: Buffer; offset: number; length: number }): void {
    if (!this.meta) return this.fail(r.handle, EINVAL, 'no metadata context negotiated');
    if (r.offset >= this.reader.size) return this.fail(r.handle, EINVAL, 'block status beyond the end of the export');
    const ext = this.reader.extents(r.offset, r.length);
    const p = Buffer.alloc(4 + ext.length * 8);
    p.writeUInt32BE(META_ID, 0);
    ext.forEach((e, i) => {
      p.writeUInt32BE(e.length, 4 + i * 8);
      p.writeUInt32BE(e.flags, 8 + i * 8);
    });
    this.chunk(r.handle, REPLY.BLOCK_STATUS, true, [p]);
  }
}
