// The cockpit runs ink 6.5.1 with four build files replaced from patches/ink (by
// scripts/patch-ink.mjs at install). The patched Output must build the same frames as
// upstream's, byte for byte, for any mix of writes, styles, wide characters, clips and
// transformers — and go on doing so frame after frame, with its caches warm.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { rng } from '../../helpers/rng.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BUILD = path.join(ROOT, 'node_modules/ink/build');

interface OutputLike {
  write(x: number, y: number, text: string, options: { transformers: ((s: string, i: number) => string)[] }): void;
  clip(c: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type OutputClass = new (o: { width: number; height: number }) => OutputLike;

const patched = (await import(path.join(BUILD, 'output.js'))) as { default: OutputClass; isPlainBmp: (c: number) => boolean };
const upstream = (await import(path.join(BUILD, 'output.upstream.js'))) as { default: OutputClass };
const measure = (await import(path.join(BUILD, 'measure-text.js'))) as { default: (t: string) => { width: number; height: number } };
const measureUp = (await import(path.join(BUILD, 'measure-text.upstream.js'))) as { default: (t: string) => { width: number; height: number } };
const wrap = (await import(path.join(BUILD, 'wrap-text.js'))) as { default: (t: string, w: number, k: string) => string };
const wrapUp = (await import(path.join(BUILD, 'wrap-text.upstream.js'))) as { default: (t: string, w: number, k: string) => string };


const chalk = new Chalk({ level: 3 });
const PIECES = [
  'web-01', ' ', '12.5 MiB/s', '│', '─┼─', '⣿⣀⡇⠉', '░▒▓█', '▁▂▃▄▅▆▇█', '…', '→ ←', '✓', '✗', '°', 'é', 'ñ', '·',
  '宽字符', 'ｶﾅ', '😀', '👍🏽', '🇩🇪', 'e\u0301', '⚡', '☀\uFE0F', '\t', 'a\u200db', '\x1b]8;;https://x.test\x07link\x1b]8;;\x07',
];
const STYLES: ((s: string) => string)[] = [
  (s) => s,
  chalk.red, chalk.green.bold, chalk.dim, chalk.inverse, chalk.underline, chalk.bgBlue.white, chalk.ansi256(208),
  chalk.rgb(10, 200, 30), chalk.bgHex('#123456'), chalk.bold.dim, chalk.italic.strikethrough,
  (s) => `\x1b[1;31m${s}\x1b[0m`, (s) => `\x1b[38;5;12m${s}`, (s) => `\x1b[m${s}`, (s) => `\x1b[4${s}`,
];

function randomText(r: () => number, plainOnly: boolean): string {
  const lines: string[] = [];
  const nLines = 1 + Math.floor(r() * 3);
  for (let l = 0; l < nLines; l++) {
    let line = '';
    const n = Math.floor(r() * 6);
    for (let k = 0; k < n; k++) {
      const pieces = plainOnly ? PIECES.slice(0, 16) : PIECES;
      const piece = pieces[Math.floor(r() * pieces.length)]!;
      line += STYLES[Math.floor(r() * (plainOnly ? 12 : STYLES.length))]!(piece);
    }
    lines.push(line);
  }
  return lines.join('\n');
}

type Op = { kind: 'write'; x: number; y: number; text: string; transform: number } | { kind: 'clip'; c: { x1?: number; x2?: number; y1?: number; y2?: number } } | { kind: 'unclip' };

const TRANSFORMS: ((s: string, i: number) => string)[][] = [[], [chalk.yellow], [(s, i) => (i === 0 ? chalk.bold(s) : s)], [chalk.bgRed, (s) => ` ${s}`]];

function randomFrame(r: () => number, width: number, height: number, plainOnly: boolean): Op[] {
  const ops: Op[] = [];
  let depth = 0;
  const n = 5 + Math.floor(r() * 40);
  for (let i = 0; i < n; i++) {
    const p = r();
    if (p < 0.08) {
      const vertical = r() < 0.8;
      const y1 = Math.floor(r() * height);
      const x1 = Math.floor(r() * width);
      ops.push({ kind: 'clip', c: vertical ? { y1, y2: y1 + Math.floor(r() * height) } : { x1, x2: x1 + Math.floor(r() * width), y1: 0, y2: height } });
      depth++;
    } else if (p < 0.12 && depth > 0) {
      ops.push({ kind: 'unclip' });
      depth--;
    } else {
      ops.push({ kind: 'write', x: Math.floor(r() * (width + 4)) - 2, y: Math.floor(r() * (height + 2)) - 1, text: randomText(r, plainOnly), transform: Math.floor(r() * TRANSFORMS.length) });
    }
  }
  return ops;
}

function build(Cls: OutputClass, width: number, height: number, ops: Op[]): string {
  const o = new Cls({ width, height });
  for (const op of ops) {
    if (op.kind === 'clip') o.clip(op.c);
    else if (op.kind === 'unclip') o.unclip();
    else o.write(op.x, op.y, op.text, { transformers: TRANSFORMS[op.transform]! });
  }
  return o.get().output;
}

describe('ink patch: Output', () => {
  it('builds the same frames as upstream, byte for byte, over 2000 random frames', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const width = 1 + Math.floor(r() * 60);
      const height = 1 + Math.floor(r() * 12);
      const ops = randomFrame(r, width, height, seed % 3 === 0);
      const want = build(upstream.default, width, height, ops);
      const got = build(patched.default, width, height, ops);
      if (got !== want) expect({ seed, got }).toEqual({ seed, got: want });
    }
  }, 240_000); // ~35 s alone; slower when the suite shares two cores

  it('keeps building the right frame when rows repeat, change and repeat again (its caches warm)', () => {
    const r = rng(42);
    const base = randomFrame(r, 80, 20, true);
    for (let i = 0; i < 200; i++) {
      // mostly the same frame, a few writes changed, sometimes the very same frame
      const ops = base.map((op) => (op.kind === 'write' && r() < 0.1 ? { ...op, text: randomText(r, i % 2 === 0) } : op));
      expect(build(patched.default, 80, 20, ops)).toBe(build(upstream.default, 80, 20, ops));
      expect(build(patched.default, 80, 20, base)).toBe(build(upstream.default, 80, 20, base));
    }
  });

  it('treats as one grapheme each, anywhere, every code point its fast path reads', () => {
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const count = (s: string): number => [...seg.segment(s)].length;
    const joined: string[] = [];
    let plain = 0;
    for (let c = 0x80; c <= 0xffff; c++) {
      if (!patched.isPlainBmp(c)) continue;
      plain++;
      const ch = String.fromCharCode(c);
      if (count(`a${ch}a${ch}${ch}`) !== 5) joined.push(c.toString(16));
    }
    expect(plain).toBeGreaterThan(3500);
    expect(joined).toEqual([]);
  });
});

describe('ink patch: measure and wrap caches', () => {
  it('measure and wrap the same as upstream, also past the cache bound', () => {
    const r = rng(7);
    for (let i = 0; i < 12_000; i++) {
      const t = randomText(r, false) + String(i % 5000);
      expect(measure.default(t)).toEqual(measureUp.default(t));
      const w = 1 + Math.floor(r() * 30);
      const kind = ['wrap', 'truncate', 'truncate-middle', 'truncate-start'][i % 4]!;
      expect(wrap.default(t, w, kind)).toBe(wrapUp.default(t, w, kind));
    }
  });
});

describe('ink patch: install script', () => {
  it('has installed exactly the files in patches/ink, and running it again changes nothing', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts/patch-ink.mjs')], { encoding: 'utf8' });
    expect(out).toContain('0 of 4 build files replaced');
    for (const f of fs.readdirSync(path.join(ROOT, 'patches/ink'))) {
      expect(fs.readFileSync(path.join(BUILD, f), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'patches/ink', f), 'utf8'));
    }
  });
});
