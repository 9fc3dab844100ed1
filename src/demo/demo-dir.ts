// The demo's working directory: one it makes itself is removed whole when the demo ends;
// one the user names (--dir) keeps everything that was there before — only what the demo
// added is removed, and a file the demo would overwrite makes it refuse to start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** marks a directory a demo has used, so a later demo may reuse its hub, agents and images */
const MARKER = '.drc-demo';

export class DemoDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoDirError';
  }
}

export interface DemoDir {
  dir: string;
  /** remove what this demo created, and nothing else */
  release(): void;
}

/**
 * Claim `dir` (or a new temporary directory) for a demo that writes `entries` at its top.
 * An existing directory that no demo used must not hold any of them already.
 */
export function claimDemoDir(dir: string | undefined, entries: string[]): DemoDir {
  if (dir === undefined) {
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-demo-'));
    fs.writeFileSync(path.join(made, MARKER), '');
    return { dir: made, release: () => fs.rmSync(made, { recursive: true, force: true }) };
  }
  const abs = path.resolve(dir);
  let before: Set<string> | null = null;
  try {
    before = new Set(fs.readdirSync(abs));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new DemoDirError(`demo --dir ${dir}: not a directory`);
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DemoDirError(`demo --dir ${dir}: ${(e as Error).message}`);
  }
  if (before === null) {
    fs.mkdirSync(abs, { recursive: true });
    fs.writeFileSync(path.join(abs, MARKER), '');
    return { dir: abs, release: () => fs.rmSync(abs, { recursive: true, force: true }) };
  }
  const existing = before;
  if (!existing.has(MARKER)) {
    const clash = entries.find((e) => existing.has(e));
    if (clash) throw new DemoDirError(`demo --dir ${dir}: ${path.join(abs, clash)} already exists and is not a demo's; choose an empty or new directory`);
    fs.writeFileSync(path.join(abs, MARKER), '');
  }
  return {
    dir: abs,
    release: () => {
      for (const e of fs.readdirSync(abs)) if (!existing.has(e)) fs.rmSync(path.join(abs, e), { recursive: true, force: true });
    },
  };
}
