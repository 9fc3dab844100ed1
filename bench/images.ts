// Images for bench:backup that look like real disks: no block repeats another by accident.
// `mixedImage`: 1 MiB chunks, half random, a quarter zeros, a quarter unique log-like text.
// `filesystemImage`: an ext4 image (mkfs.ext4 -d) holding a tree of real files the bench makes;
// `addFiles` writes more files into it with debugfs (an incremental's changed data).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MIB = 1024 * 1024;
const HOSTS = ['web-1', 'web-2', 'db-1', 'cache-3', 'worker-7'];
const UNITS = ['sshd', 'nginx', 'postgres', 'kernel', 'systemd', 'cron', 'app'];
const WORDS = ['accepted', 'request', 'GET', 'POST', '/api/v1/items', 'status', 'latency', 'user', 'session', 'checkpoint', 'vacuum', 'timeout', 'retry', 'connection', 'closed', 'started', 'finished', 'queue', 'job', 'backup'];

/** A small fast PRNG (xorshift32), so the text is unique but cheap to make. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** `bytes` of log lines: timestamps, hosts, pids, ids and numbers all move, so no line repeats. */
export function logText(bytes: number, seed: number, startMs = Date.UTC(2026, 0, 1) + seed * 1000): Buffer {
  const r = rng(seed * 2654435761 + 1);
  const parts: string[] = [];
  let len = 0;
  let t = startMs;
  while (len < bytes) {
    t += r() % 997;
    const n = 3 + (r() % 6);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(k % 3 === 2 ? String(r() % 100000) : WORDS[r() % WORDS.length]!);
    const line = `${new Date(t).toISOString()} ${HOSTS[r() % HOSTS.length]} ${UNITS[r() % UNITS.length]}[${1000 + (r() % 60000)}]: ${words.join(' ')} id=${r().toString(16)}${r().toString(16)} ms=${r() % 5000}\n`;
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** Kind of the i-th 1 MiB chunk: shuffled so each kind is spread over the whole disk. */
function chunkKind(i: number): 'random' | 'zero' | 'text' {
  const k = (i * 2654435761) >>> 0;
  const q = (k >>> 8) % 4;
  return q < 2 ? 'random' : q === 2 ? 'zero' : 'text';
}

let images = 0;

/** Each image gets its own text (seeded by how many images this process made), so no image dedups against another. */
export function mixedImage(file: string, mib: number): { random: number; zero: number; text: number } {
  const seed = ++images * 1_000_003;
  const fd = fs.openSync(file, 'w');
  const count = { random: 0, zero: 0, text: 0 };
  try {
    for (let i = 0; i < mib; i++) {
      const kind = chunkKind(i);
      count[kind]++;
      if (kind === 'zero') continue;
      fs.writeSync(fd, kind === 'random' ? randomBytes(MIB) : logText(MIB, seed + i + 1), 0, MIB, i * MIB);
    }
    fs.ftruncateSync(fd, mib * MIB);
  } finally {
    fs.closeSync(fd);
  }
  return count;
}

/** Write a tree of files as a system disk has them: logs, text sources, binaries (random), a few copies. */
function fillTree(dir: string, bytes: number, seed: number): number {
  let total = 0;
  let n = 0;
  const r = rng(seed);
  while (total < bytes) {
    const kind = r() % 10;
    const sub = path.join(dir, ['var/log', 'usr/lib', 'home/user/src', 'opt/app/data', 'srv/www'][kind % 5]!, `d${n % 17}`);
    fs.mkdirSync(sub, { recursive: true });
    // sizes from 4 KiB to 8 MiB, most small, a few large, as on real disks
    const size = Math.min(bytes - total, 4096 << r() % 12);
    let data: Buffer;
    if (kind < 4) data = logText(size, seed * 100000 + n);
    else if (kind < 8) data = randomBytes(size);
    else if (kind === 8 && n > 0) {
      // a copy of an earlier file (installers, vendored libraries)
      data = logText(size, seed * 100000 + (n % 5));
    } else data = Buffer.concat([logText(size >> 1, seed * 100000 + n + 7), Buffer.alloc(size - (size >> 1))]);
    fs.writeFileSync(path.join(sub, `f${n}.${['log', 'log', 'txt', 'c', 'bin', 'so', 'gz', 'jpg', 'dup', 'db'][kind]}`), data);
    total += size;
    n++;
  }
  return n;
}

/** An ext4 image of `mib` MiB, about 60% full of files; returns how many files. */
export function filesystemImage(file: string, mib: number, scratch: string): number {
  const tree = path.join(scratch, 'fs-tree');
  fs.rmSync(tree, { recursive: true, force: true });
  const files = fillTree(tree, Math.floor(mib * MIB * 0.6), 1);
  fs.rmSync(file, { force: true });
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', tree, file, `${mib}M`], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.rmSync(tree, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`mkfs.ext4 failed: ${r.stderr.toString().trim()}`);
  return files;
}

/** Write about `bytes` of new files into the ext4 image (debugfs, no mount); returns the bytes of file data added. */
export function addFiles(file: string, bytes: number, scratch: string, seed: number): number {
  const tree = path.join(scratch, `fs-add-${seed}`);
  fs.rmSync(tree, { recursive: true, force: true });
  fillTree(tree, bytes, seed);
  const cmds: string[] = [`mkdir /new-${seed}`];
  let added = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        cmds.push(`write ${p} /new-${seed}/${path.relative(tree, p).replaceAll('/', '_')}`);
        added += fs.statSync(p).size;
      }
    }
  };
  walk(tree);
  const script = path.join(scratch, `debugfs-${seed}.cmds`);
  fs.writeFileSync(script, cmds.join('\n') + '\n');
  const r = spawnSync('debugfs', ['-w', '-f', script, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.rmSync(tree, { recursive: true, force: true });
  fs.rmSync(script, { force: true });
  if (r.status !== 0) throw new Error(`debugfs failed: ${r.stderr.toString().trim()}`);
  return added;
}

export function haveMkfs(): boolean {
  return spawnSync('sh', ['-c', 'command -v mkfs.ext4 && command -v debugfs']).status === 0;
}
