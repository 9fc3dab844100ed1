// Wire messages between `drc agent` and the hub's gateway. JSON text frames for control,
// binary frames (see frames.ts) for block data. Every message is validated on receipt.
import { ProtocolError } from './errors.js';
import { base64, base64Text, bool, int, list, name, nullable, num, obj, oneOf, optional, str, type Reader } from './schema.js';

export const PROTOCOL_VERSION = 2;
/** Largest WebSocket message either side accepts: a 4 MiB block plus header, with margin. */
export const MAX_PAYLOAD = 5 * 1024 * 1024;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 4 * 1024 * 1024;
/** Offer entry: u32 block index, u8 flags, 32-byte sha256. */
export const OFFER_ENTRY_BYTES = 37;
export const OFFER_MAX_ENTRIES = 4096;
export const FLAG_ZERO = 1;
/** block hashes per `hashes` message */
export const HASHES_MAX_ENTRIES = 4096;
/** block indices (u32 LE) per `hashes.get` with a list, and per `changes` message */
export const BLOCK_LIST_MAX_ENTRIES = 65536;

const blockSize = int(MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
const jobId = int(1, 0xffffffff);
const maxBlocks = 1 << 28;

/** Largest log tail an agent sends in one `logs` reply (raw bytes, before base64). */
export const MAX_LOG_TAIL = 2 * 1024 * 1024;
export const MAX_WATCHED_PROCESSES = 64;

const percent = num(0, 100);
const counter = int(0);
/** One resource sample of a host: CPU, memory, disks per mount, named processes, network. */
const metricsSample = obj({
  type: oneOf('metrics'),
  time: int(0),
  /** busy share of all CPUs over the last interval, 0..100 */
  cpu: percent,
  memory: obj({ usedBytes: counter, totalBytes: counter }),
  disks: list(obj({ mount: str(512), usedBytes: counter, totalBytes: counter }), 64),
  processes: list(obj({ name: str(64), count: int(0, 1_000_000) }), MAX_WATCHED_PROCESSES),
  net: obj({ rxBytesPerSec: num(0), txBytesPerSec: num(0) }),
});

const volumeInfo = obj({ name, path: str(4096), size: int(0), blockSize, tracker: oneOf('scan', 'qemu-dirty-bitmap') });

const agentReaders = {
  hello: obj({
    type: oneOf('hello'),
    version: int(0, 1000),
    host: name,
    agentVersion: str(64),
    volumes: list(volumeInfo, 256),
    /** dr: an agent at the DR site on the recovered image of a failed-over host; its points form the DR-side chain */
    site: optional(oneOf('primary', 'dr')),
  }),
  heartbeat: obj({ type: oneOf('heartbeat'), time: int(0) }),
  bitmap: obj({
    type: oneOf('bitmap'),
    jobId: optional(jobId),
    volume: name,
    blockSize,
    blockCount: int(0, maxBlocks),
    size: int(0),
    dirtyCount: int(0, maxBlocks),
    mode: oneOf('full', 'incremental'),
    bitmap: base64Text(maxBlocks / 8),
    time: int(0),
    /** true: a job's bitmap sent while the scan still runs (no bit set yet); the changed blocks follow as the live bitmap when it is over */
    scanning: optional(bool),
  }),
  offer: obj({ type: oneOf('offer'), jobId, volume: name, seq: int(0), entries: base64(OFFER_MAX_ENTRIES * OFFER_ENTRY_BYTES) }),
  progress: obj({ type: oneOf('progress'), jobId, volume: name, phase: oneOf('scan', 'transfer'), doneBytes: int(0), totalBytes: int(0) }),
  end: obj({
    type: oneOf('end'),
    jobId,
    volume: name,
    blockCount: int(0, maxBlocks),
    size: int(0),
    merkleRoot: str(64),
  }),
  failed: obj({ type: oneOf('failed'), jobId, reason: str(2000) }),
  log: obj({ type: oneOf('log'), level: oneOf('info', 'warning', 'error'), message: str(4000), time: int(0) }),
  metrics: metricsSample,
  /** answer to `ping`: `time` is the hub's own, echoed, so the hub measures the round trip */
  pong: obj({ type: oneOf('pong'), id: int(0), time: int(0) }),
  /** answer to `logs.get`: the tail of the agent's log file */
  logs: obj({ type: oneOf('logs'), requestId: int(0), data: base64(MAX_LOG_TAIL), size: int(0), truncated: bool }),
  /** something the hub should record: `bitmap_invalidated` = changed-block tracking lost its base, a full scan follows */
  event: obj({ type: oneOf('event'), kind: oneOf('bitmap_invalidated'), volume: name, message: str(2000) }),
  /** answer to `hashes.get`, in parts: sha256 of blocks first.. of the volume as it is now; error: refused */
  hashes: obj({
    type: oneOf('hashes'), requestId: int(0), volume: name, size: int(0), blockSize, first: int(0, maxBlocks),
    sha: base64(HASHES_MAX_ENTRIES * 32), last: bool, error: optional(str(2000)),
  }),
  /** answer to `changes.get`, in parts: blocks (u32 LE) changed since the agent's committed generation of the volume; error: not known */
  changes: obj({
    type: oneOf('changes'), requestId: int(0), volume: name, generation: nullable(int(1)), size: int(0), blockSize,
    indices: base64(BLOCK_LIST_MAX_ENTRIES * 4), last: bool, error: optional(str(2000)),
  }),
  /** answer to `write.end`: blocks written, flushed, read back and hashed; error: refused or failed */
  written: obj({ type: oneOf('written'), requestId: int(0), volume: name, count: int(0, maxBlocks), error: optional(str(2000)) }),
  /** after the block frames of a `blocks.get` (volume index READ_FRAME_VOLUME_INDEX): how many were sent; error: refused or failed */
  'blocks.sent': obj({ type: oneOf('blocks.sent'), requestId: int(1, 0xffffffff), volume: name, count: int(0, OFFER_MAX_ENTRIES), error: optional(str(2000)) }),
} as const;

const hubReaders = {
  welcome: obj({ type: oneOf('welcome'), version: int(0, 1000), hub: str(200) }),
  start: obj({
    type: oneOf('start'),
    jobId,
    full: bool,
    volumes: list(obj({ name, basePointId: nullable(int(1)) }), 256),
    /** a failover's final sync: run the agent's pre_freeze hook before reading, post_thaw after */
    quiesce: optional(bool),
  }),
  need: obj({ type: oneOf('need'), jobId, volume: name, seq: int(0), indices: base64(OFFER_MAX_ENTRIES * 4) }),
  committed: obj({ type: oneOf('committed'), jobId, volume: name, pointId: int(1) }),
  abort: obj({ type: oneOf('abort'), jobId, reason: str(2000) }),
  ping: obj({ type: oneOf('ping'), id: int(0), time: int(0) }),
  /** what the agent samples besides the machine itself: named processes (from the hub's alarm rules) */
  watch: obj({ type: oneOf('watch'), processes: list(str(64), MAX_WATCHED_PROCESSES), intervalMs: int(1000, 3_600_000) }),
  'logs.get': obj({ type: oneOf('logs.get'), requestId: int(0), maxBytes: int(1, MAX_LOG_TAIL) }),
  /** a failover took the host over: stop replicating (refuse backup jobs) until the agent restarts unfenced */
  fence: obj({ type: oneOf('fence'), reason: str(2000) }),
  /** the host is home again (failback, or a failover cancelled): replicate again from the committed generation */
  unfence: obj({ type: oneOf('unfence'), reason: str(2000) }),
  /** failback: the sha256 of every block of a volume of the agent's own config, as it is now */
  /** with `blocks` (u32 LE indices): only those, answered in list order (`first` counts in the list) */
  'hashes.get': obj({ type: oneOf('hashes.get'), requestId: int(0), volume: name, blocks: optional(base64(BLOCK_LIST_MAX_ENTRIES * 4)) }),
  /** failback: the blocks changed since the agent's committed generation (its tracker's view), so only those are compared */
  'changes.get': obj({ type: oneOf('changes.get'), requestId: int(0), volume: name }),
  /** failback: block frames (job id = requestId) follow, to be written into the volume; only while fenced */
  'write.begin': obj({ type: oneOf('write.begin'), requestId: int(1, 0xffffffff), volume: name, blockSize, size: int(0) }),
  'write.end': obj({ type: oneOf('write.end'), requestId: int(1, 0xffffffff), volume: name, count: int(0, maxBlocks) }),
  /** repair: send these blocks of a volume of the agent's own config as they are now (u32 LE indices) */
  'blocks.get': obj({ type: oneOf('blocks.get'), requestId: int(1, 0xffffffff), volume: name, indices: base64(OFFER_MAX_ENTRIES * 4) }),
} as const;

type ReaderMap = Record<string, Reader<unknown>>;
type Messages<M extends ReaderMap> = { [K in keyof M]: ReturnType<M[K]> }[keyof M];

export type AgentMessage = Messages<typeof agentReaders>;
export type HubMessage = Messages<typeof hubReaders>;
export type AgentMessageOf<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;
export type HubMessageOf<T extends HubMessage['type']> = Extract<HubMessage, { type: T }>;

function parseWith<M extends ReaderMap>(readers: M, text: string): Messages<M> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed', 'message is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('malformed', 'message is not an object');
  const type = (v as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(readers, type)) {
    throw new ProtocolError('unknown', `unknown message type ${JSON.stringify(type)?.slice(0, 40)}`);
  }
  return readers[type]!(v, type) as Messages<M>;
}

export const parseAgentMessage = (text: string): AgentMessage => parseWith(agentReaders, text);
export const parseHubMessage = (text: string): HubMessage => parseWith(hubReaders, text);

/** Block entries as offers and manifests carry them: u32 LE index, u8 flags, 32-byte hash each. */
export function encodeBlockEntries(entries: readonly { index: number; flags: number; hash: Buffer }[]): Buffer {
  const buf = Buffer.allocUnsafe(entries.length * OFFER_ENTRY_BYTES);
  entries.forEach((e, i) => {
    const o = i * OFFER_ENTRY_BYTES;
    buf.writeUInt32LE(e.index, o);
    buf[o + 4] = e.flags;
    e.hash.copy(buf, o + 5);
  });
  return buf;
}

export function encodeOffer(entries: { index: number; flags: number; hash: Buffer }[]): string {
  return encodeBlockEntries(entries).toString('base64');
}

export function decodeOffer(buf: Buffer): { index: number; flags: number; hash: Buffer }[] {
  if (buf.length % OFFER_ENTRY_BYTES !== 0) throw new ProtocolError('malformed', 'offer.entries: length not a multiple of 37');
  const out = [];
  for (let o = 0; o < buf.length; o += OFFER_ENTRY_BYTES) {
    out.push({ index: buf.readUInt32LE(o), flags: buf[o + 4]!, hash: buf.subarray(o + 5, o + OFFER_ENTRY_BYTES) });
  }
  return out;
}

export function encodeIndices(indices: number[]): string {
  const buf = Buffer.allocUnsafe(indices.length * 4);
  indices.forEach((x, i) => buf.writeUInt32LE(x, i * 4));
  return buf.toString('base64');
}

export function decodeIndices(buf: Buffer): number[] {
  if (buf.length % 4 !== 0) throw new ProtocolError('malformed', 'indices: length not a multiple of 4');
  const out: number[] = [];
  for (let o = 0; o < buf.length; o += 4) out.push(buf.readUInt32LE(o));
  return out;
}
