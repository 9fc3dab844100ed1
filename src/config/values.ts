/**
 * Readers for the domain value formats: durations, sizes, block sizes, addresses.
 */
import { isScalar } from 'yaml';
import { parseDuration, parseHostPort, parseSize, type HostPort } from './units.js';
import { parsed, shown, type ValueReader } from './yaml-readers.js';

const DURATION_EXPECTED = 'expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds';

/** Seconds, >= 0. */
export const duration: ValueReader<number> = parsed(parseDuration, DURATION_EXPECTED);

/** Seconds, > 0. */
export const positiveDuration: ValueReader<number> = (r, raw, path) => {
  const seconds = duration(r, raw, path);
  if (seconds === 0) return r.fail(r.deref(raw), `${path} is zero`, 'expected a duration greater than zero');
  return seconds;
};

export const size: ValueReader<number> = parsed(parseSize, 'expected a size such as 512, 64KiB, 4MiB, 1GiB');

export const MIN_BLOCK_SIZE = 4 * 1024;
export const MAX_BLOCK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_BLOCK_SIZE = 64 * 1024;

/** A block size: a power of two from 4 KiB to 4 MiB. */
export const blockSize: ValueReader<number> = (r, raw, path) => {
  const bytes = size(r, raw, path);
  if (bytes === undefined) return undefined;
  const node = r.deref(raw);
  const expected = 'expected a power of two from 4KiB to 4MiB';
  const written = isScalar(node) ? shown(node) : String(bytes);
  if (bytes < MIN_BLOCK_SIZE) return r.fail(node, `${path} ${written} is too small`, expected);
  if (bytes > MAX_BLOCK_SIZE) return r.fail(node, `${path} ${written} is too large`, expected);
  if ((bytes & (bytes - 1)) !== 0) return r.fail(node, `${path} ${written} is not a power of two`, expected);
  return bytes;
};

const HOST_PORT_EXPECTED = 'expected HOST:PORT such as 127.0.0.1:7701';

/** An address to listen on (port 0 = any free port). */
export const listenAddress: ValueReader<HostPort> = parsed((text) => parseHostPort(text, 0), HOST_PORT_EXPECTED);

/** An address to connect to (port 1..65535). */
export const connectAddress: ValueReader<HostPort> = parsed((text) => parseHostPort(text, 1), HOST_PORT_EXPECTED);
