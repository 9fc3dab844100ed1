// Following the launcher through `npx`/`npm exec`: npm runs `drc` as a grandchild
// (npm exec → sh -c → node) and cannot pass on a SIGKILL, so killing what started it
// would leave an orphaned hub or agent holding its ports and its hub link. When such a
// wrapper is in our ancestry, the long-running commands watch the chain up to the first
// process that is not a wrapper and stop when any of them is gone. Linux (/proc) only;
// DRC_FOLLOW_LAUNCHER=0 turns it off.
import fs from 'node:fs';

interface ProcessId {
  pid: number;
  start: string;
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** process group: a shell job's processes share their launcher's group */
  pgrp: number;
  start: string;
  title: string;
}

/** `pid`, `ppid` and start time from /proc/PID/stat, and the title (npm rewrites it). */
export function readProc(pid: number, root = '/proc'): ProcEntry | null {
  try {
    const stat = fs.readFileSync(`${root}/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    const title = fs.readFileSync(`${root}/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]), start: rest[19] ?? '', title };
  } catch {
    return null;
  }
}

const isNpm = (t: string): boolean => /^npm exec\b|\bnpx(-cli\.js)?\b|\bnpm-cli\.js exec\b/.test(t);
const isShell = (t: string): boolean => /^(\/bin\/|\/usr\/bin\/)?(sh|dash|bash) -c\b/.test(t);

/**
 * The ancestors to watch: the wrapper processes between us and the launcher, and the
 * launcher itself; empty when no npm wrapper is among the nearest ancestors. 'orphaned'
 * when the launcher died before we started: npm was handed to init while still in its
 * launcher's process group.
 */
export function launcherChain(read: (pid: number) => ProcEntry | null, ppid: number): ProcessId[] | 'orphaned' {
  const chain: ProcEntry[] = [];
  let p = read(ppid);
  while (p && chain.length < 4 && (isShell(p.title) || isNpm(p.title))) {
    chain.push(p);
    p = p.ppid > 1 ? read(p.ppid) : null;
  }
  if (!chain.some((c) => isNpm(c.title))) return [];
  const top = chain[chain.length - 1]!;
  if (!p) return top.ppid === 1 && top.pgrp !== top.pid ? 'orphaned' : [];
  return [...chain, p].map((c) => ({ pid: c.pid, start: c.start }));
}

/** Poll the chain every second; call `gone` once when one of them ended. */
export function followLauncher(gone: (pid: number) => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (process.platform !== 'linux' || env.DRC_FOLLOW_LAUNCHER === '0') return () => undefined;
  const chain = launcherChain((pid) => readProc(pid), process.ppid);
  if (chain === 'orphaned') {
    setImmediate(() => gone(process.ppid));
    return () => undefined;
  }
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const dead = chain.find((c) => readProc(c.pid)?.start !== c.start);
    if (dead) {
      clearInterval(timer);
      gone(dead.pid);
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
