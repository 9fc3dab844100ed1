// Local files of packs for restores, verify and gc: a local store's packs are read in place;
// a remote store's packs are downloaded whole into a size-bounded cache directory (least
// recently used first out; a pack in use is never evicted), a few downloads at a time, one
// download per pack however many readers wait for it.
import fs from 'node:fs';
import path from 'node:path';
import { OBJECT, type PackStore } from './pack-store.js';

interface Entry {
  size: number;
  refs: number;
  used: number;
}

/** whole-pack GETs in flight (restores fetch up to PACKS_AHEAD packs ahead) */
const DOWNLOADS_AT_ONCE = 6;

export class PackCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<void>>();
  /** readers waiting for a pack's download: it is not evicted before they take it */
  private readonly waiting = new Map<string, number>();
  private bytes = 0;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private tick = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly store: PackStore,
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    if (store.local) return;
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) {
      const file = path.join(dir, f);
      if (!f.endsWith('.pack')) {
        fs.rmSync(file, { force: true }); // an interrupted download
        continue;
      }
      const size = fs.statSync(file).size;
      this.entries.set(f.slice(0, -5), { size, refs: 0, used: 0 });
      this.bytes += size;
    }
  }

  get usedBytes(): number {
    return this.store.local ? 0 : this.bytes;
  }

  get packCount(): number {
    return this.entries.size;
  }

  private fileOf(name: string): string {
    return this.store.localPath ? this.store.localPath(OBJECT.pack(name)) : path.join(this.dir, `${name}.pack`);
  }

  /** The pack's local file, kept until release(name). */
  async acquire(name: string, signal?: AbortSignal): Promise<string> {
    if (this.store.local) return this.fileOf(name);
    let e = this.entries.get(name);
    // a cached file removed behind the hub's back (a cleaned cache directory) is downloaded
    // again: it is a copy, and its absence says nothing about the store
    if (e && e.refs === 0 && !fs.existsSync(this.fileOf(name))) {
      this.drop(name);
      e = undefined;
    }
    if (e) {
      this.hits++;
    } else {
      let p = this.loading.get(name);
      if (!p) {
        this.misses++;
        p = this.load(name, signal).finally(() => this.loading.delete(name));
        this.loading.set(name, p);
      }
      this.waiting.set(name, (this.waiting.get(name) ?? 0) + 1);
      try {
        await p;
      } finally {
        const n = (this.waiting.get(name) ?? 1) - 1;
        if (n > 0) this.waiting.set(name, n);
        else this.waiting.delete(name);
      }
      e = this.entries.get(name);
      if (!e) throw new Error(`pack ${name} left the cache before it was read`);
    }
    e.refs++;
    e.used = ++this.tick;
    return this.fileOf(name);
  }

  release(name: string): void {
    const e = this.entries.get(name);
    if (e && e.refs > 0) e.refs--;
    this.evict();
  }

  private async load(name: string, signal?: AbortSignal): Promise<void> {
    if (this.active >= DOWNLOADS_AT_ONCE) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      const file = this.fileOf(name);
      await this.store.download(OBJECT.pack(name), file, signal);
      this.add(name, fs.statSync(file).size);
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private add(name: string, size: number): void {
    this.entries.set(name, { size, refs: 0, used: ++this.tick });
    this.bytes += size;
    this.evict();
  }

  /** A pack just stored from the staging area: keep its file as a cache entry (no download later). */
  adopt(name: string, stagedFile: string): void {
    if (this.store.local) return;
    if (this.entries.has(name)) {
      fs.rmSync(stagedFile, { force: true });
      return;
    }
    fs.renameSync(stagedFile, this.fileOf(name));
    this.add(name, fs.statSync(this.fileOf(name)).size);
  }

  /** Forget a pack (deleted from the store). */
  drop(name: string): void {
    if (this.store.local) return;
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    this.bytes -= e.size;
    fs.rmSync(this.fileOf(name), { force: true });
  }

  /** Empty the cache (packs in use stay). */
  clear(): void {
    for (const [name, e] of [...this.entries]) if (e.refs === 0) this.drop(name);
  }

  private evict(): void {
    if (this.bytes <= this.maxBytes) return;
    // in use, or just downloaded for readers not yet holding it: kept (the cache may then stand
    // above its bound until they release, as it does while packs are in use)
    const idle = [...this.entries].filter(([name, e]) => e.refs === 0 && !this.waiting.has(name)).sort((a, b) => a[1].used - b[1].used);
    for (const [name] of idle) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(name);
    }
  }
}
