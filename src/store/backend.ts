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

const BUFFER_BYTES = 1 << 20;
const TRICKLE_SYNC_BYTES = 16 << 20;

class LocalPackAppender implements PackAppender {
  private fd: number;
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
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
  append(data: Buffer): number {
    const offset = this.size;
    if (this.used + data.length > this.buf.length) this.flush();
    if (data.length > this.buf.length) {
      fs.writeSync(this.fd, data);
      this.written += data.length;
      this.trickle(data.length);
    } else {
      data.copy(this.buf, this.used);
      this.used += data.length;
    }
    return offset;
  }
  private flush(): void {
    if (this.used === 0) return;
    fs.writeSync(this.fd, this.buf, 0, this.used);
    this.written += this.used;
    this.trickle(this.used);
    this.used = 0;
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
