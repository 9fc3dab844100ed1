// The local staging area packs are written to, synchronously (fsync before a commit): for a
// local store its packs directory itself, for a remote store DATA/store/staging (see hub-store.ts).
import fs from 'node:fs';
import path from 'node:path';

export interface PackAppender {
  readonly name: string;
  /** bytes written so far */
  readonly size: number;
  append(data: Buffer): number;
  /** flush buffers and fsync the file (and its directory) */
  sync(): void;
  /** the same with the fsyncs in the thread pool, so the event loop keeps running */
  syncAsync?(): Promise<void>;
  close(): void;
}

export interface ChunkBackend {
  createPack(name: string): PackAppender;
  read(packName: string, offset: number, length: number): Buffer;
  list(): string[];
  remove(packName: string): void;
  sizeOf(packName: string): number;
  /** flip bytes for tests of damage detection and verify */
  pathOf(packName: string): string;
  close(): void;
}

/** bytes gathered before one write(2) */
const BUFFER_BYTES = 1 << 20;
/** appends at least this long are written from where they are (no copy); shorter ones are copied together */
const REF_MIN_BYTES = 4096;
/** pieces per writev (below the kernel's IOV_MAX) */
const MAX_PARTS = 256;
const TRICKLE_SYNC_BYTES = 16 << 20;

class LocalPackAppender implements PackAppender {
  private fd: number;
  /** short appends (record headers, small payloads) are copied here */
  private small = Buffer.allocUnsafe(64 * 1024);
  private smallUsed = 0;
  private smallStart = 0;
  /** what the next writev writes, in order: slices of `small` and the callers' own buffers */
  private parts: Buffer[] = [];
  private used = 0;
  private written = 0;
  private unsynced = 0;
  private syncing = false;
  constructor(
    readonly name: string,
    private readonly file: string,
  ) {
    this.fd = fs.openSync(file, 'wx', 0o600); // backup data is private
  }
  get size(): number {
    return this.written + this.used;
  }
  /** The bytes are written by a later flush, from `data` itself when it is long: the caller must not change them afterwards. */
  append(data: Buffer): number {
    const offset = this.size;
    if (data.length >= REF_MIN_BYTES) {
      this.closeSmall();
      this.parts.push(data);
    } else {
      if (this.smallUsed + data.length > this.small.length) this.flush();
      data.copy(this.small, this.smallUsed);
      this.smallUsed += data.length;
    }
    this.used += data.length;
    if (this.used >= BUFFER_BYTES || this.parts.length >= MAX_PARTS) this.flush();
    return offset;
  }
  private closeSmall(): void {
    if (this.smallUsed === this.smallStart) return;
    this.parts.push(this.small.subarray(this.smallStart, this.smallUsed));
    this.smallStart = this.smallUsed;
  }
  private flush(): void {
    if (this.used === 0) return;
    this.closeSmall();
    let parts = this.parts;
    let left = this.used;
    for (;;) {
      const n = fs.writevSync(this.fd, parts);
      left -= n;
      if (left === 0) break;
      parts = rest(parts, n); // a short write (a full disk reports itself on the next call)
    }
    this.written += this.used;
    this.trickle(this.used);
    this.parts = [];
    this.used = 0;
    this.smallUsed = 0;
    this.smallStart = 0;
  }
  /** start the disk's writeback early (in the thread pool), so the fsync at commit is short and writes never wait for the kernel's dirty limit */
  private trickle(bytes: number): void {
    this.unsynced += bytes;
    if (this.unsynced >= TRICKLE_SYNC_BYTES && !this.syncing) {
      this.unsynced = 0;
      this.syncing = true;
      fs.fdatasync(this.fd, () => {
        this.syncing = false;
      });
    }
  }
  sync(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    const dir = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
  async syncAsync(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => fs.fsync(this.fd, (e) => (e ? reject(e) : resolve())));
    const dir = await fs.promises.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      // closed even when the last write failed (a full disk), so a dropped pack frees its space
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** The pieces after the first `n` bytes of `parts`. */
function rest(parts: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (n >= parts[i]!.length) n -= parts[i++]!.length;
  return [parts[i]!.subarray(n), ...parts.slice(i + 1)];
}

export class LocalDirectoryBackend implements ChunkBackend {
  private readFds = new Map<string, number>();
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  pathOf(packName: string): string {
    return path.join(this.dir, `${packName}.pack`);
  }
  createPack(name: string): PackAppender {
    return new LocalPackAppender(name, this.pathOf(name));
  }
  read(packName: string, offset: number, length: number): Buffer {
    let fd = this.readFds.get(packName);
    if (fd === undefined) {
      fd = fs.openSync(this.pathOf(packName), 'r');
      if (this.readFds.size > 256) this.dropReaders();
      this.readFds.set(packName, fd);
    }
    const out = Buffer.allocUnsafe(length);
    const got = fs.readSync(fd, out, 0, length, offset);
    return got === length ? out : out.subarray(0, got);
  }
  list(): string[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.pack'))
      .map((f) => f.slice(0, -'.pack'.length));
  }
  remove(packName: string): void {
    const fd = this.readFds.get(packName);
    if (fd !== undefined) fs.closeSync(fd);
    this.readFds.delete(packName);
    fs.rmSync(this.pathOf(packName), { force: true });
  }
  sizeOf(packName: string): number {
    return fs.statSync(this.pathOf(packName)).size;
  }
  private dropReaders(): void {
    for (const fd of this.readFds.values()) fs.closeSync(fd);
    this.readFds.clear();
  }
  close(): void {
    this.dropReaders();
  }
}
