// CPU seconds of a process read from /proc, for the benches' per-process CPU columns.
import fs from 'node:fs';

/** CPU seconds (user + system, all threads, or the one thread named) a process has used so far; 0 once it is gone */
export function cpuOf(pid: number | undefined, thread?: number): number {
  if (pid === undefined) return 0;
  try {
    const f = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}
