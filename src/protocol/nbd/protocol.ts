// NBD wire constants and encoders (https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md):
// fixed newstyle handshake, options, transmission requests and (structured) replies.

export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
export const OPT_REPLY_MAGIC = 0x0003e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

export const FLAG_FIXED_NEWSTYLE = 1;
export const FLAG_NO_ZEROES = 2;

export const OPT = { GO: 7, STRUCTURED_REPLY: 8, SET_META_CONTEXT: 10 } as const;
export const REP = { ACK: 1, INFO: 3, META_CONTEXT: 4 } as const;
export const REP_ERROR_BIT = 0x80000000;
const REP_ERRORS: Record<number, string> = {
  1: 'unsupported option',
  2: 'forbidden by policy',
  3: 'invalid option',
  4: 'not supported on this platform',
  5: 'TLS required',
  6: 'no such export',
  7: 'server shutting down',
  8: 'block size negotiation required',
  9: 'request too big',
};
export function optionErrorText(type: number): string {
  return REP_ERRORS[type - REP_ERROR_BIT] ?? `error reply ${type >>> 0}`;
}

export const INFO = { EXPORT: 0, BLOCK_SIZE: 3 } as const;

/** Transmission flags of an export. */
export const TFLAG = { HAS_FLAGS: 1, READ_ONLY: 2, SEND_FLUSH: 4, SEND_FUA: 8, CAN_MULTI_CONN: 256 } as const;

export const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, BLOCK_STATUS: 7 } as const;
export const CMD_FLAG_FUA = 1;

export const REPLY_FLAG_DONE = 1;
export const REPLY_TYPE = { NONE: 0, OFFSET_DATA: 1, OFFSET_HOLE: 2, BLOCK_STATUS: 5, ERROR: 0x8001, ERROR_OFFSET: 0x8002 } as const;
export const REPLY_TYPE_ERROR_BIT = 0x8000;

/** Status bits of the `base:allocation` context. */
export const STATE_HOLE = 1;
export const STATE_ZERO = 2;
/** Status bit of a `qemu:dirty-bitmap:NAME` context. */
export const STATE_DIRTY = 1;

export const REQUEST_BYTES = 28;
export const SIMPLE_REPLY_BYTES = 16;
export const STRUCTURED_REPLY_BYTES = 20;

const ERRNO: Record<number, string> = {
  1: 'EPERM (operation not permitted)',
  5: 'EIO (input/output error)',
  12: 'ENOMEM (out of memory)',
  22: 'EINVAL (invalid argument)',
  28: 'ENOSPC (no space left)',
  75: 'EOVERFLOW (value too large)',
  95: 'ENOTSUP (not supported)',
  108: 'ESHUTDOWN (server shutting down)',
};
export function errnoText(code: number): string {
  return ERRNO[code] ?? `error ${code}`;
}

/** One option request: IHAVEOPT, option, length, data. */
export function encodeOption(option: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(16 + data.length);
  b.writeBigUInt64BE(IHAVEOPT, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(data.length, 12);
  data.copy(b, 16);
  return b;
}

function str32(s: string): Buffer {
  const v = Buffer.from(s, 'utf8');
  const b = Buffer.allocUnsafe(4 + v.length);
  b.writeUInt32BE(v.length, 0);
  v.copy(b, 4);
  return b;
}

export function encodeSetMetaContext(exportName: string, queries: string[]): Buffer {
  const n = Buffer.allocUnsafe(4);
  n.writeUInt32BE(queries.length, 0);
  return encodeOption(OPT.SET_META_CONTEXT, Buffer.concat([str32(exportName), n, ...queries.map(str32)]));
}

export function encodeGo(exportName: string, infos: number[]): Buffer {
  const tail = Buffer.allocUnsafe(2 + infos.length * 2);
  tail.writeUInt16BE(infos.length, 0);
  infos.forEach((x, i) => tail.writeUInt16BE(x, 2 + i * 2));
  return encodeOption(OPT.GO, Buffer.concat([str32(exportName), tail]));
}

export function encodeRequest(type: number, flags: number, cookie: number, offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(REQUEST_BYTES);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(cookie, 12);
  b.writeUInt32BE(Math.floor(offset / 0x100000000), 16);
  b.writeUInt32BE(offset >>> 0, 20);
  b.writeUInt32BE(length, 24);
  return b;
}

export interface Extent {
  offset: number;
  length: number;
  flags: number;
}

/** Descriptors of one BLOCK_STATUS chunk (after its context id), laid out from `offset`. */
export function decodeExtents(payload: Buffer, offset: number): Extent[] {
  const out: Extent[] = [];
  let at = offset;
  for (let o = 0; o + 8 <= payload.length; o += 8) {
    const length = payload.readUInt32BE(o);
    out.push({ offset: at, length, flags: payload.readUInt32BE(o + 4) });
    at += length;
  }
  return out;
}
