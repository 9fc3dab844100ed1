// Braille plotting math (U+2800 block): each character is a 2×4 dot cell, so a chart of
// W×H characters has 2W columns and 4H rows of resolution.

const BASE = 0x2800;
// dot bits by [column][row from top]
const DOT: readonly (readonly number[])[] = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/**
 * Plots values (one per dot column, oldest first, right-aligned when fewer than 2×width;
 * null = no data) against [0, max]. Area mode fills below the line.
 */
export function brailleRows(values: readonly (number | null)[], width: number, height: number, max: number, area: boolean): string[] {
  const cols = width * 2;
  const dotRows = height * 4;
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  const data = values.slice(-cols);
  const start = cols - data.length;
  const levelOf = (v: number): number =>
    v <= 0 || max <= 0 ? 0 : Math.min(dotRows, Math.max(1, Math.round((v / max) * dotRows)));
  let previous: number | null = null;
  data.forEach((v, i) => {
    if (v === null) { previous = null; return; }
    const x = start + i;
    if (area) {
      for (let l = 1; l <= levelOf(v); l++) setDot(cells, x, dotRows - l);
      return;
    }
    // line: the dot at the level (the baseline for zero), joined to the previous point
    const level = Math.max(1, levelOf(v));
    let lo = level;
    let hi = level;
    if (previous !== null && previous < level) lo = previous + 1;
    if (previous !== null && previous > level) hi = previous - 1;
    for (let l = lo; l <= hi; l++) setDot(cells, x, dotRows - l);
    previous = level;
  });
  // an empty cell as a space: the same look for a third of the bytes over a slow link
  return cells.map((row) => row.map((bits) => (bits === 0 ? ' ' : String.fromCharCode(BASE + bits))).join(''));
}

function setDot(cells: number[][], x: number, y: number): void {
  const row = cells[Math.floor(y / 4)];
  if (!row) return;
  row[Math.floor(x / 2)] = (row[Math.floor(x / 2)] ?? 0) | DOT[x % 2]![y % 4]!;
}

/** A round upper bound for an axis: 1, 2, 2.5 or 5 × 10^n within the value's 1024^k unit. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  let scale = 1;
  while (value / scale >= 1024) scale *= 1024;
  const m = value / scale;
  const pow = 10 ** Math.floor(Math.log10(m));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * pow >= m) ?? 10;
  return step * pow * scale;
}

export interface TimedValue {
  time: string;
  value: number;
}

/**
 * Averages samples into `count` buckets aligned to absolute time (multiples of the
 * bucket length), ending at the bucket of `end`. Alignment keeps the chart still between
 * bucket boundaries instead of shifting every second. Samples are sparser than buckets
 * when the chart is wide, so a gap of up to `holdMs` repeats the previous value; longer
 * gaps (no data) stay empty (null).
 */
export function bucketByTime(
  samples: readonly TimedValue[], count: number, windowMs: number, end: number, holdMs = 30_000,
): (number | null)[] {
  const bucketMs = windowMs / count;
  const last = Math.floor(end / bucketMs);
  const first = last - count + 1;
  const sums = new Array<number>(count).fill(0);
  const ns = new Array<number>(count).fill(0);
  for (const s of samples) {
    const i = Math.floor(Date.parse(s.time) / bucketMs) - first;
    if (i < 0 || i >= count) continue;
    sums[i] = sums[i]! + s.value;
    ns[i] = ns[i]! + 1;
  }
  const values = sums.map((sum, i) => (ns[i] ? sum / ns[i]! : null));
  return holdShortGaps(values, Math.ceil(holdMs / bucketMs));
}

/** Repeats the previous value over runs of at most `max` empty buckets after it. */
function holdShortGaps(values: (number | null)[], max: number): (number | null)[] {
  let previous: number | null = null;
  let runStart = -1;
  const fill = (end: number): void => {
    if (previous !== null && runStart >= 0 && end - runStart <= max) values.fill(previous, runStart, end);
  };
  values.forEach((v, i) => {
    if (v === null) { if (runStart < 0) runStart = i; return; }
    fill(i);
    runStart = -1;
    previous = v;
  });
  fill(values.length);
  return values;
}
