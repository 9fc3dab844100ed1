// `--expires DURATION` of `hosts add` and `operators add`: a duration of at least a minute.
import { parseDuration } from '../../config/index.js';
import { UsageError } from '../errors.js';

export const MIN_EXPIRY_SECONDS = 60;

export function expiresInSeconds(cmd: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  let s: number;
  try {
    s = parseDuration(raw);
  } catch (e) {
    throw new UsageError(`${cmd}: --expires ${raw}: ${(e as Error).message}`);
  }
  if (s < MIN_EXPIRY_SECONDS) throw new UsageError(`${cmd}: --expires ${raw}: a token must live at least ${MIN_EXPIRY_SECONDS} s`);
  return s;
}
