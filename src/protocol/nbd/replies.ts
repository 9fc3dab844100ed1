// The transmission phase of an NBD connection, receiving side: simple and structured
// replies parsed synchronously as bytes arrive, read payloads landing in the request's buffer
// (read there by the socket, or copied once; no reassembly), requests settled when their last
// chunk is in.
import { NbdError } from './errors.js';
import { REPLY_FLAG_DONE, REPLY_TYPE, REPLY_TYPE_ERROR_BIT, SIMPLE_REPLY_MAGIC, STRUCTURED_REPLY_MAGIC, decodeExtents, errnoText, type Extent } from './protocol.js';

export interface Request {
  kind: 'read' | 'write' | 'flush' | 'status';
  offset: number;
  length: number;
  buf?: Buffer;
  /** block status chunks by meta context id */
  extents?: Map<number, Extent[]>;
  error?: NbdError;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Body {
  /** where the bytes go; null: dropped */
  dst: Buffer | null;
  at: number;
  left: number;
  done: () => void;
}

const SIMPLE_BYTES = 16;
const STRUCTURED_BYTES = 20;

export class ReplyParser {
  private readonly head = Buffer.alloc(32);
  private have = 0;
  private want = 4;
  private body: Body | null = null;

  constructor(
    private readonly pending: Map<number, Request>,
    private readonly where: string,
  ) {}

  /** Consume bytes that arrived (they may be reused by the caller afterwards). Throws NbdError on a protocol violation. */
  push(b: Buffer): void {
    let o = 0;
    while (o < b.length) {
      const body = this.body;
      if (body) {
        const k = Math.min(body.left, b.length - o);
        if (body.dst) b.copy(body.dst, body.at, o, o + k);
        body.at += k;
        body.left -= k;
        o += k;
        if (body.left === 0) this.finishBody();
        continue;
      }
      const k = Math.min(this.want - this.have, b.length - o);
      b.copy(this.head, this.have, o, o + k);
      this.have += k;
      o += k;
      if (this.have === this.want) this.onHead();
    }
  }

  /**
   * Where the rest of the current reply's payload goes, when it has a destination: the
   * socket can read straight into it (then call `filledInPlace`), with no copy.
   */
  payloadTarget(): Buffer | null {
    const b = this.body;
    return b?.dst && b.left > 0 ? b.dst.subarray(b.at, b.at + b.left) : null;
  }

  /** Between payloads: what comes next is a reply header. */
  get inHeader(): boolean {
    return this.body === null;
  }

  /** `n` bytes of the payload arrived where `payloadTarget` said. */
  filledInPlace(n: number): void {
    const body = this.body!;
    body.at += n;
    body.left -= n;
    if (body.left === 0) this.finishBody();
  }

  private finishBody(): void {
    const done = this.body!.done;
    this.body = null;
    done();
  }

  private expect(dst: Buffer | null, at: number, left: number, done: () => void): void {
    this.body = { dst, at, left, done };
    if (left === 0) this.finishBody();
  }

  private request(cookie: number): Request {
    const r = this.pending.get(cookie);
    if (!r) throw new NbdError(`NBD ${this.where}: reply for unknown request ${cookie}`);
    return r;
  }

  private settle(cookie: number, r: Request): void {
    this.pending.delete(cookie);
    if (r.error) r.reject(r.error);
    else r.resolve();
  }

  private onHead(): void {
    const h = this.head;
    const magic = h.readUInt32BE(0);
    if (this.want === 4) {
      if (magic === SIMPLE_REPLY_MAGIC) this.want = SIMPLE_BYTES;
      else if (magic === STRUCTURED_REPLY_MAGIC) this.want = STRUCTURED_BYTES;
      else throw new NbdError(`NBD ${this.where}: bad reply magic 0x${magic.toString(16)}`);
      return;
    }
    if (magic === SIMPLE_REPLY_MAGIC) {
      const error = h.readUInt32BE(4);
      const cookie = h.readUInt32BE(12);
      const r = this.request(cookie);
      this.have = 0;
      this.want = 4;
      if (error) r.error = new NbdError(`NBD ${this.where}: ${r.kind} at ${r.offset}: ${errnoText(error)}`);
      if (!error && r.kind === 'read') this.expect(r.buf!, 0, r.length, () => this.settle(cookie, r));
      else this.settle(cookie, r);
      return;
    }
    const flags = h.readUInt16BE(4);
    const type = h.readUInt16BE(6);
    const cookie = h.readUInt32BE(12);
    const length = h.readUInt32BE(16);
    const r = this.request(cookie);
    const last = () => {
      if (flags & REPLY_FLAG_DONE) this.settle(cookie, r);
    };
    if (type === REPLY_TYPE.OFFSET_DATA && r.kind === 'read') {
      if (this.want === STRUCTURED_BYTES) return void (this.want = STRUCTURED_BYTES + 8);
      const at = Number(h.readBigUInt64BE(20)) - r.offset;
      if (length < 8 || at < 0 || at + length - 8 > r.length) throw new NbdError(`NBD ${this.where}: read chunk outside its request`);
      this.have = 0;
      this.want = 4;
      return this.expect(r.buf!, at, length - 8, last);
    }
    if (type === REPLY_TYPE.OFFSET_HOLE && r.kind === 'read') {
      if (this.want === STRUCTURED_BYTES) return void (this.want = STRUCTURED_BYTES + 12);
      const at = Number(h.readBigUInt64BE(20)) - r.offset;
      const n = h.readUInt32BE(28);
      if (at < 0 || at + n > r.length) throw new NbdError(`NBD ${this.where}: hole chunk outside its request`);
      r.buf!.fill(0, at, at + n);
      this.have = 0;
      this.want = 4;
      return last();
    }
    this.have = 0;
    this.want = 4;
    if ((type === REPLY_TYPE.BLOCK_STATUS && r.kind === 'status') || type & REPLY_TYPE_ERROR_BIT) {
      if (length > 64 * 1024 * 1024) throw new NbdError(`NBD ${this.where}: reply chunk of ${length} bytes`);
      const p = Buffer.allocUnsafe(length);
      return this.expect(p, 0, length, () => {
        if (type & REPLY_TYPE_ERROR_BIT) {
          const msg = p.length >= 6 ? p.subarray(6, 6 + p.readUInt16BE(4)).toString('utf8') : '';
          r.error = new NbdError(`NBD ${this.where}: ${r.kind} at ${r.offset}: ${errnoText(p.length >= 4 ? p.readUInt32BE(0) : 0)}${msg ? ` (${msg})` : ''}`);
        } else if (p.length >= 4) {
          r.extents!.set(p.readUInt32BE(0), decodeExtents(p.subarray(4), r.offset));
        }
        last();
      });
    }
    this.expect(null, 0, length, last);
  }
}
