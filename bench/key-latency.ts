// What the cockpit benches share: percentiles, the environment of a colour terminal, the
// Node flags bin/drc starts the cockpit with, and one line of key→frame latency against
// its target (bench:tui measures it in a fake TTY, bench:load in a real tmux pane).
import fs from 'node:fs';
import path from 'node:path';

/** key→frame p95 goal of issue 16 and of bench:tui, ms */
export const KEY_P95_TARGET_MS = 50;

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * The cockpit's environment as in a colour terminal (tmux, 256 colours): chalk decides its
 * colours from process.stdout, a pipe in bench:tui, so they are forced; without them the
 * selected row has no inverse video and a key moving it would not even change the screen.
 * And not CI: Ink then prints only the last frame.
 */
export function terminalEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, FORCE_COLOR: '2', TERM: 'xterm-256color' };
  delete env.NO_COLOR;
  for (const k of Object.keys(env)) if (k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_')) delete env[k];
  return env;
}

/** the Node flags bin/drc (the installed command) starts the cockpit with */
export function cockpitNodeFlags(binDrc: string): string[] {
  const line = fs.readFileSync(path.resolve(binDrc), 'utf8').split('\n').find((l) => l.includes('cockpit|demo'));
  return line ? [...line.slice(0, line.indexOf('$here')).matchAll(/--[\w-]+(=\S+)?/g)].map((m) => m[0]) : [];
}

/** `what: N keys, p50 …, p95 … (target ≤ 50 ms: met|MISSED), max …` */
export function keyLatencyLine(what: string, samples: readonly number[], timeouts: number): string {
  const p95 = timeouts > 0 ? Infinity : percentile(samples, 95);
  const max = samples.length ? Math.max(...samples) : NaN;
  return `${what}: ${samples.length} keys${timeouts ? ` (${timeouts} without a frame)` : ''}, p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
    `p95 ${p95.toFixed(1)} ms (target <= ${KEY_P95_TARGET_MS}: ${p95 <= KEY_P95_TARGET_MS ? 'met' : 'MISSED'}), max ${max.toFixed(1)} ms`;
}
