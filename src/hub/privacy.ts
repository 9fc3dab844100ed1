// The data directory is private by default: created 0700, the catalog 0600 (packs are created
// 0600 by the store); at start the hub looks for anything looser and says so.
import fs from 'node:fs';
import path from 'node:path';

/** Create the data directory 0700 when it does not exist yet (an existing one is left as it is). */
export function makePrivateDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chmodSync(dir, 0o700); // the umask must not widen nor narrow it
}

/** Create a file 0600 before SQLite opens it, so its journal files inherit the mode. */
export function makePrivateFile(file: string): void {
  if (fs.existsSync(file)) return;
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

const MAX_REPORTED = 5;

/** Paths under the data directory that others than the owner may read or write, with their modes. */
export function loosePermissions(dataDir: string, packDir: string): string[] {
  const found: string[] = [];
  const check = (p: string): void => {
    try {
      const mode = fs.statSync(p).mode & 0o777;
      if (mode & 0o077) found.push(`${p} is ${mode.toString(8).padStart(3, '0')}`);
    } catch {
      /* absent: nothing to say */
    }
  };
  check(dataDir);
  for (const f of ['catalog.db', 'catalog.db-wal', 'catalog.db-shm']) check(path.join(dataDir, f));
  let packs: string[] = [];
  try {
    packs = fs.readdirSync(packDir).filter((f) => f.endsWith('.pack'));
  } catch {
    /* no packs yet */
  }
  const before = found.length;
  for (const f of packs) {
    check(path.join(packDir, f));
    if (found.length - before > MAX_REPORTED) break;
  }
  return found;
}
