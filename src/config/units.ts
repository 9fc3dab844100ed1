/**
 * Parsers for the value formats shared by the config file and the command line:
 * durations, sizes and HOST:PORT addresses. They throw ValueFormatError.
 */
import { ValueFormatError } from './errors.js';

const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['w', 7 * 86_400],
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];
const DURATION_EXPECTED = 'expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds';

/**
 * Parses a duration into whole seconds: `30s`, `15m`, `1h`, `2h30m`, `1d`, `1w`, or a
 * plain non-negative integer meaning seconds. Units must appear largest first, once each.
 */
export function parseDuration(s: string | number): number {
  const text = typeof s === 'number' ? String(s) : s.trim();
  const bad = (): ValueFormatError => new ValueFormatError(`${JSON.stringify(String(s))} is not a duration`, DURATION_EXPECTED);
  if (/^\d+$/.test(text)) return checkedInteger(Number(text), bad);
  const parts = text.match(/\d+[a-z]/g);
  if (text === '' || parts === null || parts.join('') !== text) throw bad();
  let total = 0;
  let nextUnit = 0;
  for (const part of parts) {
    const unit = part.slice(-1);
    const index = DURATION_UNITS.findIndex(([name]) => name === unit);
    if (index < nextUnit) throw bad(); // unknown unit (-1), repeated or out of order
    const factor = DURATION_UNITS[index]?.[1];
    if (factor === undefined) throw bad();
    total += Number(part.slice(0, -1)) * factor;
    nextUnit = index + 1;
  }
  return checkedInteger(total, bad);
}

/** Renders seconds the way parseDuration reads them (`2h30m`, `0s`). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [name, factor] of DURATION_UNITS) {
    const n = Math.floor(rest / factor);
    if (n > 0) out += `${n}${name}`;
    rest -= n * factor;
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};
const SIZE_EXPECTED = 'expected a size such as 512, 64KiB, 4MiB, 1GiB; K, M, G mean KiB, MiB, GiB';

/**
 * Parses a size into bytes: `512`, `64KiB`, `4MiB`, `1GiB`, `2TiB`; the short forms
 * `64K`/`64k`, `4M`, `1G` are binary units too. Decimal units (KB, MB) are rejected
 * because their meaning is ambiguous.
 */
export function parseSize(s: string | number): number {
  const text = typeof s === 'number' ? String(s) : s.trim();
  const bad = (): ValueFormatError => new ValueFormatError(`${JSON.stringify(String(s))} is not a size`, SIZE_EXPECTED);
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text);
  if (match === null) throw bad();
  const factor = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) throw bad();
  return checkedInteger(Number(match[1]) * factor, bad);
}

export interface HostPort {
  /** Host name or IP address; IPv6 without brackets. */
  host: string;
  port: number;
}

const HOST_PORT_EXPECTED = 'expected HOST:PORT such as 127.0.0.1:7701 or [::1]:7701';

/**
 * Parses `HOST:PORT` (IPv6 as `[::1]:7701`). `minPort` is 0 for listen addresses
 * (0 = pick a free port) and 1 for addresses to connect to.
 */
export function parseHostPort(s: string, minPort = 0): HostPort {
  const quoted = JSON.stringify(s);
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(s.trim());
  if (match === null) throw new ValueFormatError(`${quoted} is not a HOST:PORT address`, HOST_PORT_EXPECTED);
  const port = Number(match[3]);
  if (port < minPort || port > 65535) {
    throw new ValueFormatError(`${quoted} has port ${port} out of range`, `expected a port between ${minPort} and 65535`);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

/** Renders a HostPort back to `HOST:PORT`, bracketing IPv6. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function checkedInteger(n: number, bad: () => ValueFormatError): number {
  if (!Number.isSafeInteger(n)) throw bad();
  return n;
}
