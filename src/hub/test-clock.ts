// A clock for integration tests that simulate days in seconds: with DRC_TEST_CLOCK_FILE set,
// the hub's time is the real time plus the offset (ms) written in that file, re-read at
// most every 50 ms. Not for production: it exists so a test can move the hub through a week.
import fs from 'node:fs';

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
