// A tiny schema library for wire messages: each reader checks one value and returns it typed.
import { ProtocolError } from './errors.js';

export type Reader<T> = (v: unknown, path: string) => T;

function fail(path: string, what: string): never {
  throw new ProtocolError('malformed', `${path}: ${what}`);
}

export const str = (max = 4096): Reader<string> => (v, p) => {
  if (typeof v !== 'string') fail(p, 'expected a string');
  if (v.length > max) fail(p, `string longer than ${max}`);
  return v;
};

export const name: Reader<string> = (v, p) => {
  const s = str(63)(v, p);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(s)) fail(p, `invalid name "${s}"`);
  return s;
};

export const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Reader<number> => (v, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(p, 'expected an integer');
  if (v < min || v > max) fail(p, `integer out of range ${min}..${max}`);
  return v;
};

/** A finite number (not necessarily an integer) within [min, max]. */
export const num = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE): Reader<number> => (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(p, 'expected a number');
  if (v < min || v > max) fail(p, `number out of range ${min}..${max}`);
  return v;
};

export const bool: Reader<boolean> = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'expected a boolean');
  return v;
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 text, decoded. Text that decodes and encodes back to itself is base64 (what every
 * encoder of ours writes); only other text is matched against the alphabet, a scan four
 * times slower than the native round trip (500 agents send the hub ~8 MB of bitmaps a second).
 */
export const base64 = (maxBytes: number): Reader<Buffer> => (v, p) => {
  const s = str(Math.ceil((maxBytes * 4) / 3) + 4)(v, p);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') !== s && !BASE64.test(s)) fail(p, 'expected base64');
  return bytes;
};

/** where base64Text decodes, reused up to 1 MiB: the bytes are only looked at, never handed out */
let scratch = Buffer.alloc(0);
const SCRATCH_MAX = 1024 * 1024;

/**
 * Base64 text, checked as `base64` checks it but kept as text, in the canonical form (what
 * every encoder of ours writes): for a field passed on as text (a dirty bitmap, to the
 * cockpit) a decoded copy would only be encoded again, and would cost the hub's garbage
 * collector ~8 MB/s with 500 agents. Its bytes: Buffer.byteLength(text, 'base64').
 */
export const base64Text = (maxBytes: number): Reader<string> => (v, p) => {
  const s = str(Math.ceil((maxBytes * 4) / 3) + 4)(v, p);
  const need = Buffer.byteLength(s, 'base64');
  if (need > scratch.length && need <= SCRATCH_MAX) scratch = Buffer.alloc(Math.min(SCRATCH_MAX, Math.max(need, 64 * 1024)));
  const into = need <= scratch.length ? scratch : Buffer.alloc(need);
  const canonical = into.toString('base64', 0, into.write(s, 'base64'));
  if (canonical === s) return s;
  if (!BASE64.test(s)) fail(p, 'expected base64');
  return canonical;
};

export function oneOf<const T extends string>(...values: T[]): Reader<T> {
  return (v, p) => {
    if (typeof v !== 'string' || !(values as string[]).includes(v)) fail(p, `expected one of ${values.join(', ')}`);
    return v as T;
  };
}

export function nullable<T>(r: Reader<T>): Reader<T | null> {
  return (v, p) => (v === null || v === undefined ? null : r(v, p));
}

export function optional<T>(r: Reader<T>): Reader<T | undefined> {
  return (v, p) => (v === undefined ? undefined : r(v, p));
}

export function list<T>(r: Reader<T>, max: number): Reader<T[]> {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'expected a list');
    if (v.length > max) fail(p, `list longer than ${max}`);
    return v.map((x, i) => r(x, `${p}[${i}]`));
  };
}

type Shape = Record<string, Reader<unknown>>;
/** The keys whose reader may give undefined: those a sender may leave out. */
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends ReturnType<S[K]> ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] };
/** What obj(shape) reads: a field whose reader may give undefined is optional; no fields, an empty record. */
export type Of<S extends Shape> = [keyof S] extends [never]
  ? Record<string, never>
  : Flat<{ [K in Exclude<keyof S, OptionalKeys<S>>]: ReturnType<S[K]> } & { [K in OptionalKeys<S>]?: ReturnType<S[K]> }>;

/** A mapping with exactly these keys (unknown keys are rejected). */
export function obj<S extends Shape>(shape: S): Reader<Of<S>> {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'expected an object');
    const rec = v as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (!(k in shape)) fail(p, `unknown field "${k}"`);
    const out: Record<string, unknown> = {};
    for (const [k, r] of Object.entries(shape)) {
      const val = r(rec[k], `${p}.${k}`);
      if (val !== undefined) out[k] = val;
    }
    return out as Of<S>;
  };
}
