// A PackStore in a local directory (the default store, and directory copies such as a
// removable or NFS-mounted disk). Packs are `packs/<name>.pack` so that a data directory
// written before the PackStore existed reads the same.
import fs from 'node:fs';
import path from 'node:path';
import { ObjectExistsError, ObjectMissingError, type ObjectStat, type PackStore, type PutOptions } from './pack-store.js';

const PACK_PREFIX = 'packs/';
let tmpSeq = 0;
const PACK_SUFFIX = '.pack';

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class LocalPackStore implements PackStore {
  readonly local = true;
  readonly packTargetBytes = 64 * 1024 * 1024;
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'packs'), { recursive: true });
  }

  get location(): string {
    return this.root;
  }

  private fileOf(name: string): string {
    if (name.includes('..') || name.startsWith('/')) throw new Error(`object name ${name} is not allowed`);
    return path.join(this.root, name.startsWith(PACK_PREFIX) ? `${name}${PACK_SUFFIX}` : name);
  }

  localPath(name: string): string {
    return this.fileOf(name);
  }

  async put(name: string, bytes: Buffer, o: PutOptions = {}): Promise<void> {
    const file = this.fileOf(name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${tmpSeq++}`;
    // in the thread pool: a copy writes one pack while it reads and hashes the next
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.publish(tmp, file, name, o);
  }

  async putFile(name: string, from: string, o: PutOptions & { move?: boolean } = {}): Promise<void> {
    const file = this.fileOf(name);
    if (path.resolve(from) === file) return; // staged in place: already durable
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (o.move) {
      if (fs.existsSync(file)) throw new ObjectExistsError(`${this.root}/${name}`);
      fs.renameSync(from, file);
      fsyncDir(path.dirname(file));
      this.retain(file, o);
      return;
    }
    const tmp = `${file}.tmp-${process.pid}-${tmpSeq++}`;
    await fs.promises.copyFile(from, tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.publish(tmp, file, name, o);
  }

  /** link, not rename: link fails when the name exists, so a put never replaces an object */
  private publish(tmp: string, file: string, name: string, o: PutOptions): void {
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExistsError(`${this.root}/${name}`);
      throw e;
    }
    fs.rmSync(tmp, { force: true });
    fsyncDir(path.dirname(file));
    this.retain(file, o);
  }

  /** read-only, its modification time the end of its retention (the way WORM filers mark it) */
  private retain(file: string, o: PutOptions): void {
    if (!o.retainUntil) return;
    fs.utimesSync(file, new Date(), o.retainUntil);
    fs.chmodSync(file, 0o444);
  }

  async get(name: string, offset = 0, length?: number): Promise<Buffer> {
    const file = this.fileOf(name);
    if (offset === 0 && length === undefined) {
      try {
        return await fs.promises.readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectMissingError(`${this.root}/${name}`);
        throw e;
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectMissingError(`${this.root}/${name}`);
      throw e;
    }
    try {
      const len = length ?? fs.fstatSync(fd).size - offset;
      const out = Buffer.allocUnsafe(Math.max(0, len));
      const got = fs.readSync(fd, out, 0, out.length, offset);
      return got === out.length ? out : out.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  }

  async download(name: string, file: string): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}-${tmpSeq++}`;
    try {
      await fs.promises.copyFile(this.fileOf(name), tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectMissingError(`${this.root}/${name}`);
      throw e;
    }
    fs.renameSync(tmp, file);
  }

  async list(prefix: string): Promise<ObjectStat[]> {
    const out: ObjectStat[] = [];
    const walk = (dir: string, rel: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(dir, e.name), r);
        else if (e.isFile() && !/\.tmp-\d+(-\d+)?$/.test(e.name)) {
          const objName = r.startsWith(PACK_PREFIX) && r.endsWith(PACK_SUFFIX) ? r.slice(0, -PACK_SUFFIX.length) : r;
          if (objName.startsWith(prefix)) out.push({ name: objName, size: fs.statSync(path.join(dir, e.name)).size });
        }
      }
    };
    const top = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    walk(path.join(this.root, top), top);
    return out;
  }

  async delete(name: string): Promise<void> {
    const file = this.fileOf(name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if ((st.mode & 0o222) === 0) {
      if (st.mtimeMs > Date.now()) throw new Error(`${this.root}/${name} is immutable (read-only until ${st.mtime.toISOString()}); it is not deleted`);
      fs.chmodSync(file, 0o644);
    }
    fs.rmSync(file, { force: true });
  }

  async stat(name: string): Promise<ObjectStat | null> {
    try {
      return { name, size: fs.statSync(this.fileOf(name)).size };
    } catch {
      return null;
    }
  }

  close(): void {}
}
