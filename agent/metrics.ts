// The agent's resource sampler: CPU, memory, disk usage per mount, named processes and
// network throughput, read from /proc and statfs (os.* where /proc is missing). The
// parsers are pure so they are tested on fixed text; the sampler keeps the previous
// counters to turn them into rates.
import fs from 'node:fs';
import os from 'node:os';

export interface MetricsSample {
  type: 'metrics';
  time: number;
  cpu: number;
  memory: { usedBytes: number; totalBytes: number };
  disks: { mount: string; usedBytes: number; totalBytes: number }[];
  processes: { name: string; count: number }[];
  net: { rxBytesPerSec: number; txBytesPerSec: number };
}

/** File systems that are not storage: never reported as disks. */
const PSEUDO_FS = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'cgroup', 'cgroup2', 'pstore', 'bpf', 'tracefs', 'debugfs', 'securityfs',
  'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'nsfs', 'rpc_pipefs', 'squashfs', 'efivarfs', 'ramfs',
  'overlay', 'fuse.lxcfs', 'fuse.portal', 'nfsd', 'selinuxfs', 'shm',
]);
const MAX_DISKS = 32;

/** Mount points of real file systems from /proc/mounts text (octal escapes decoded). */
export function parseMounts(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [dev, mount, type] = line.split(' ');
    if (!dev || !mount || !type || PSEUDO_FS.has(type)) continue;
    const m = mount.replace(/\\([0-7]{3})/g, (_s, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (!out.includes(m)) out.push(m);
  }
  return out.slice(0, MAX_DISKS);
}

/** Total rx/tx bytes over every interface but loopback, from /proc/net/dev text. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const iface = line.slice(0, i).trim();
    if (iface === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || f.some((x) => Number.isNaN(x))) continue;
    rx += f[0]!;
    tx += f[8]!;
  }
  return { rx, tx };
}

/** Used and total memory from /proc/meminfo text (used = total - available); null if unreadable. */
export function parseMeminfo(text: string): { usedBytes: number; totalBytes: number } | null {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb('MemTotal');
  const avail = kb('MemAvailable') ?? kb('MemFree');
  if (total === null || avail === null) return null;
  return { usedBytes: Math.max(0, total - avail), totalBytes: total };
}

export interface CpuTimes {
  busy: number;
  total: number;
}

export function cpuTimes(cpus: os.CpuInfo[] = os.cpus()): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of cpus) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Busy percentage between two readings of the CPU counters. */
export function cpuPercent(prev: CpuTimes, next: CpuTimes): number {
  const dt = next.total - prev.total;
  if (dt <= 0) return 0;
  return Math.min(100, Math.max(0, ((next.busy - prev.busy) * 100) / dt));
}

/** How many running processes carry each of `names` (by comm, or argv[0]'s basename). */
export function countProcesses(names: string[], procDir = '/proc'): Map<string, number> {
  const counts = new Map(names.map((n) => [n, 0]));
  if (names.length === 0) return counts;
  let pids: string[];
  try {
    pids = fs.readdirSync(procDir).filter((d) => /^\d+$/.test(d));
  } catch {
    return counts;
  }
  for (const pid of pids) {
    const seen = new Set<string>();
    try {
      seen.add(fs.readFileSync(`${procDir}/${pid}/comm`, 'utf8').trim());
      const argv0 = fs.readFileSync(`${procDir}/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (argv0) seen.add(argv0.slice(argv0.lastIndexOf('/') + 1));
    } catch {
      continue; // the process ended while we looked
    }
    for (const n of names) if (seen.has(n)) counts.set(n, counts.get(n)! + 1);
  }
  return counts;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export class MetricsSampler {
  private cpu = cpuTimes();
  private net: { rx: number; tx: number; t: number } | null = null;
  processes: string[] = [];

  constructor(private readonly now: () => number = Date.now) {
    const n = readText('/proc/net/dev');
    if (n !== null) this.net = { ...parseNetDev(n), t: now() };
  }

  sample(): MetricsSample {
    const t = this.now();
    const cpuNow = cpuTimes();
    const cpu = cpuPercent(this.cpu, cpuNow);
    this.cpu = cpuNow;
    const mem = parseMeminfo(readText('/proc/meminfo') ?? '') ?? { usedBytes: os.totalmem() - os.freemem(), totalBytes: os.totalmem() };
    const mountsText = readText('/proc/mounts');
    const mounts = mountsText === null ? ['/'] : parseMounts(mountsText);
    const disks: MetricsSample['disks'] = [];
    for (const mount of mounts.length ? mounts : ['/']) {
      try {
        const s = fs.statfsSync(mount);
        const total = s.blocks * s.bsize;
        if (total > 0) disks.push({ mount: mount.slice(0, 512), usedBytes: Math.max(0, (s.blocks - s.bfree) * s.bsize), totalBytes: total });
      } catch {
        // unreadable mount (permissions, stale network fs): skip it
      }
    }
    let net = { rxBytesPerSec: 0, txBytesPerSec: 0 };
    const netText = readText('/proc/net/dev');
    if (netText !== null) {
      const cur = { ...parseNetDev(netText), t };
      if (this.net && cur.t > this.net.t) {
        const secs = (cur.t - this.net.t) / 1000;
        net = { rxBytesPerSec: Math.max(0, (cur.rx - this.net.rx) / secs), txBytesPerSec: Math.max(0, (cur.tx - this.net.tx) / secs) };
      }
      this.net = cur;
    }
    const counts = countProcesses(this.processes);
    return {
      type: 'metrics',
      time: t,
      cpu: Math.round(cpu * 10) / 10,
      memory: mem,
      disks,
      processes: [...counts].map(([name, count]) => ({ name, count })),
      net,
    };
  }
}
