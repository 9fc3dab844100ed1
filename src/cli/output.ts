// Human output helpers: aligned tables, JSON, progress lines on stderr (units: src/format).
import { formatBytes, formatRate } from '../format/human.js';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

/** A progress reporter: rewrites one line on a terminal, prints a line every few seconds otherwise. */
export function progressLine(label: string): { update(done: number, total: number, rate: number, phase: string): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(done, total, rate, phase) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 2000)) return;
      last = now;
      const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
      const text = `${label}: ${phase} ${pct}% ${formatBytes(done)}/${formatBytes(total)} ${formatRate(rate)}`;
      if (tty) process.stderr.write(`\r\x1b[2K${text}`);
      else process.stderr.write(text + '\n');
      shown = true;
    },
    end() {
      if (tty && shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
