// What integration tests inject into a spawned `drc serve` through its environment, handed
// to the hub through its ports (the clock, the gc fault); the hub's modules never read it.
// With DRC_TEST_CLOCK_FILE set, the hub's time is the real time plus the offset (ms) written
// in that file, re-read at most every 50 ms, so a test can move the hub through a week.
import fs from 'node:fs';

/** The hub kills itself (SIGKILL) right after this many gc repack commits. */
export const GC_CRASH_ENV = 'DRC_TEST_GC_CRASH_AFTER_COMMITS';

export function gcCrashFromEnv(env: NodeJS.ProcessEnv = process.env): ((commits: number) => void) | undefined {
  const after = Number(env[GC_CRASH_ENV] ?? 0);
  if (!(after > 0)) return undefined;
  return (n) => {
    if (n >= after) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * The hub kills itself (SIGKILL) when a recovery run of this kind starts this step, right
 * after the start is in the catalog: `failback:reverse-sync`.
 */
export const STEP_CRASH_ENV = 'DRC_TEST_CRASH_AT_STEP';

export function stepCrashFromEnv(env: NodeJS.ProcessEnv = process.env): ((runKind: string, step: string) => void) | undefined {
  const m = /^([a-z-]+):([a-z-]+)$/.exec(env[STEP_CRASH_ENV] ?? '');
  if (!m) return undefined;
  const [, kind, step] = m;
  return (runKind, started) => {
    if (runKind === kind && started === step) process.kill(process.pid, 'SIGKILL');
  };
}

export const TEST_CLOCK_ENV = 'DRC_TEST_CLOCK_FILE';

export function testClockFromEnv(env: NodeJS.ProcessEnv = process.env): (() => number) | undefined {
  const file = env[TEST_CLOCK_ENV];
  if (!file) return undefined;
  let offset = 0;
  let readAt = 0;
  return () => {
    const real = Date.now();
    if (real - readAt >= 50) {
      readAt = real;
      try {
        const v = Number(fs.readFileSync(file, 'utf8').trim());
        if (Number.isFinite(v)) offset = v;
      } catch {
        // no file yet: real time
      }
    }
    return real + offset;
  };
}
