/**
 * Typed readers over the YAML node tree. Every reader knows where its node is, so
 * every error names file:line:col. Readers never throw: they record a ConfigError and
 * return undefined, and parseConfig throws the error that comes first in the file.
 */
import { homedir } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, Scalar, type Document, type LineCounter } from 'yaml';
import { ConfigError, ValueFormatError } from './errors.js';

/** Reads one value; returns undefined after recording an error. */
export type ValueReader<T> = (r: ConfigReader, node: unknown, path: string) => T | undefined;

/** A name that must be defined elsewhere in the file (checked once everything is read). */
export interface Reference {
  kind: ReferenceKind;
  name: string;
  node: unknown;
  path: string;
}
export type ReferenceKind = 'tier' | 'channel' | 'check';

interface RecordedError {
  offset: number;
  seq: number;
  error: ConfigError;
}

export class ConfigReader {
  private readonly recorded: RecordedError[] = [];
  readonly references: Reference[] = [];
  /** Names of tiers, channels and checks, including those whose other keys are invalid. */
  readonly defined: Record<ReferenceKind, Set<string>> = { tier: new Set(), channel: new Set(), check: new Set() };

  constructor(
    readonly file: string,
    /** Relative paths in the file are resolved against this directory. */
    readonly baseDir: string,
    private readonly lineCounter: LineCounter,
    private readonly doc: Document,
  ) {}

  /** Records an error at a node (or offset) and returns undefined for `return r.fail(…)`. */
  fail(at: unknown, problem: string, expected: string | null = null): undefined {
    const offset = typeof at === 'number' ? at : offsetOf(at);
    const { line, col } = this.lineCounter.linePos(offset);
    this.recorded.push({
      offset,
      seq: this.recorded.length,
      error: new ConfigError(this.file, line, col, problem, expected),
    });
    return undefined;
  }

  /** The error that appears first in the file, or null. */
  firstError(): ConfigError | null {
    const sorted = [...this.recorded].sort((a, b) => a.offset - b.offset || a.seq - b.seq);
    return sorted[0]?.error ?? null;
  }

  /** Follows `*alias` references to the anchored node. */
  deref(node: unknown): unknown {
    return isAlias(node) ? (node.resolve(this.doc) ?? node) : node;
  }

  /** Resolves a file path written in the config: `~/` is the home directory, relative is against the file's directory. */
  localPath(written: string): string {
    if (written === '~' || written.startsWith('~/')) return resolvePath(homedir(), written.slice(2));
    return resolvePath(this.baseDir, written);
  }
}

export function offsetOf(node: unknown): number {
  if (isNode(node) && node.range) return node.range[0];
  return 0;
}

/** How a node is described in "is a list (expected a string)". */
export function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'empty';
    if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
    if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'an unsupported value';
}

/** The value as the user wrote it, quoted when it is a string. */
export function shown(node: unknown): string {
  if (isScalar(node)) {
    if (typeof node.value === 'string') return JSON.stringify(node.value);
    if (typeof node.source === 'string' && node.source !== '') return node.source;
    return String(node.value);
  }
  return describe(node);
}

function emptyAt(node: Scalar): Scalar {
  const empty = new Scalar(null);
  empty.range = node.range ?? null;
  return empty;
}

export function isEmptyNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

type Spec = Record<string, ValueReader<unknown>>;
type Values<S extends Spec> = { [K in keyof S]?: S[K] extends ValueReader<infer T> ? T : never };

export interface MappingRead<S extends Spec> {
  /** Valid values by YAML key; absent or invalid keys are undefined. */
  values: Values<S>;
  /** Keys that were written, valid or not; required/exclusive checks use this. */
  has(key: keyof S & string): boolean;
  /** The node of a written key's value (for errors about it). */
  nodeOf(key: keyof S & string): unknown;
  node: unknown;
  path: string;
}

/**
 * Reads a mapping whose keys must all be in `spec`, calling each key's reader in
 * document order. An empty value (`hub:`) reads as an empty mapping.
 */
export function readMapping<S extends Spec>(r: ConfigReader, raw: unknown, path: string, spec: S): MappingRead<S> | undefined {
  const node = r.deref(raw);
  const values: Record<string, unknown> = {};
  const nodes = new Map<string, unknown>();
  const result: MappingRead<S> = {
    values: values as Values<S>,
    has: (key) => nodes.has(key),
    nodeOf: (key) => nodes.get(key),
    node,
    path,
  };
  if (isEmptyNode(node)) return result;
  if (!isMap(node)) return r.fail(node, `${path || 'the document'} is ${describe(node)}`, 'expected a mapping');
  const allowed = Object.keys(spec);
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const keyNode = r.deref(pair.key);
    if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
      r.fail(keyNode, `${path || 'the document'} has a key that is ${describe(keyNode)}`, 'expected a plain key');
      continue;
    }
    const key = String(keyNode.value);
    const reader = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (reader === undefined) {
      r.fail(keyNode, `unknown key ${JSON.stringify(key)} ${path ? `in ${path}` : 'at top level'}`, `expected one of: ${allowed.join(', ')}`);
      continue;
    }
    // `key:` has an empty value node after the colon; an explicit `? key` has none, so stand one in at the key.
    const valueNode = pair.value ?? emptyAt(keyNode);
    nodes.set(key, valueNode);
    const value = reader(r, valueNode, path ? `${path}.${key}` : key);
    if (value !== undefined) values[key] = value;
  }
  return result;
}

/** Records "missing required key" errors (at the mapping) for required keys that were not written. */
export function requireKeys<S extends Spec>(r: ConfigReader, m: MappingRead<S>, keys: ReadonlyArray<readonly [keyof S & string, string]>): void {
  for (const [key, expected] of keys) {
    if (!m.has(key)) r.fail(m.node, `${m.path} is missing required key ${JSON.stringify(key)}`, expected);
  }
}

/** Records an error for each written key that does not apply (e.g. `url` on an email channel). */
export function rejectKeys<S extends Spec>(
  r: ConfigReader,
  m: MappingRead<S>,
  keys: ReadonlyArray<keyof S & string>,
  problem: string,
  expected: string,
): void {
  for (const key of keys) {
    if (m.has(key)) r.fail(m.nodeOf(key), `${m.path}.${key} ${problem}`, expected);
  }
}

/** A list; an empty value (`tags:`) reads as an empty list. Invalid items are left out. */
export function listOf<T>(item: ValueReader<T>, opts: { nonEmpty?: boolean } = {}): ValueReader<T[]> {
  return (r, raw, path) => {
    const node = r.deref(raw);
    if (isEmptyNode(node) || (isSeq(node) && node.items.length === 0)) {
      return opts.nonEmpty ? r.fail(node, `${path} is empty`, 'expected a non-empty list') : [];
    }
    if (!isSeq(node)) return r.fail(node, `${path} is ${describe(node)}`, opts.nonEmpty ? 'expected a non-empty list' : 'expected a list');
    const out: T[] = [];
    node.items.forEach((child, i) => {
      const value = item(r, child, `${path}[${i}]`);
      if (value !== undefined) out.push(value);
    });
    return out;
  };
}

/** The name of a tier, channel or check defined elsewhere in the file. */
export function reference(kind: ReferenceKind): ValueReader<string> {
  return (r, raw, path) => {
    const value = str(r, raw, path);
    if (value !== undefined) r.references.push({ kind, name: value, node: r.deref(raw), path });
    return value;
  };
}

/** A non-empty string. Plain numbers and booleans are taken as written (`01` stays "01"). */
export const str: ValueReader<string> = (r, raw, path) => {
  const node = r.deref(raw);
  if (isScalar(node)) {
    if (typeof node.value === 'string') {
      return node.value === '' ? r.fail(node, `${path} is an empty string`, 'expected a non-empty string') : node.value;
    }
    if ((typeof node.value === 'number' || typeof node.value === 'boolean') && typeof node.source === 'string' && node.source !== '') {
      return node.source;
    }
  }
  return r.fail(node, `${path} is ${describe(node)}`, 'expected a string');
};

export const stringList: ValueReader<string[]> = listOf(str);

/** A string matching a pattern, described for the error. */
export function matching(pattern: RegExp, noun: string, expected: string): ValueReader<string> {
  return (r, raw, path) => {
    const value = str(r, raw, path);
    if (value === undefined) return undefined;
    return pattern.test(value) ? value : r.fail(r.deref(raw), `${path} ${JSON.stringify(value)} is not a valid ${noun}`, expected);
  };
}

/** Host, volume and other object names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const name: ValueReader<string> = matching(
  NAME_PATTERN,
  'name',
  'expected 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
);

/** The name of a tier, channel or check being defined, for references to it. */
export function definedName(kind: ReferenceKind): ValueReader<string> {
  return (r, raw, path) => {
    const value = name(r, raw, path);
    if (value !== undefined) r.defined[kind].add(value);
    return value;
  };
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(allowed: readonly T[], noun: string): ValueReader<T> {
  return (r, raw, path) => {
    const value = str(r, raw, path);
    if (value === undefined) return undefined;
    const found = allowed.find((a) => a === value);
    return found ?? r.fail(r.deref(raw), `${path} ${JSON.stringify(value)} is not a valid ${noun}`, `expected one of: ${allowed.join(', ')}`);
  };
}

export const bool: ValueReader<boolean> = (r, raw, path) => {
  const node = r.deref(raw);
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  return r.fail(node, `${path} is ${describe(node)}`, 'expected true or false');
};

export const num: ValueReader<number> = (r, raw, path) => {
  const node = r.deref(raw);
  if (isScalar(node) && typeof node.value === 'number') {
    return Number.isFinite(node.value) ? node.value : r.fail(node, `${path} ${shown(node)} is not finite`, 'expected a number');
  }
  return r.fail(node, `${path} is ${describe(node)}`, 'expected a number');
};

export function int(min: number, max: number = Number.MAX_SAFE_INTEGER): ValueReader<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}` : `expected an integer from ${min} to ${max}`;
  return (r, raw, path) => {
    const node = r.deref(raw);
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
      return r.fail(node, `${path} is ${describe(node) === 'a number' ? 'not an integer' : describe(node)}`, expected);
    }
    return node.value >= min && node.value <= max ? node.value : r.fail(node, `${path} ${shown(node)} is out of range`, expected);
  };
}

/** Wraps a ValueFormatError-throwing parser of string or number scalars. */
export function parsed<T>(parse: (text: string) => T, expected: string): ValueReader<T> {
  return (r, raw, path) => {
    const node = r.deref(raw);
    let text: string | undefined;
    if (isScalar(node) && typeof node.value === 'string') text = node.value;
    else if (isScalar(node) && typeof node.value === 'number' && typeof node.source === 'string') text = node.source;
    if (text === undefined) return r.fail(node, `${path} is ${describe(node)}`, expected);
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof ValueFormatError) return r.fail(node, `${path} ${err.problem}`, err.expected);
      throw err;
    }
  };
}

/** A string that is a local file path, resolved against the config file's directory. */
export const localPath: ValueReader<string> = (r, raw, path) => {
  const value = str(r, raw, path);
  return value === undefined ? undefined : r.localPath(value);
};

/** An absolute URL with one of the given schemes (`ws:`, `wss:`, `http:`…). */
export function url(schemes: readonly string[]): ValueReader<string> {
  const expected = `expected a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`;
  return (r, raw, path) => {
    const value = str(r, raw, path);
    if (value === undefined) return undefined;
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(value);
    } catch {
      return r.fail(r.deref(raw), `${path} ${JSON.stringify(value)} is not a URL`, expected);
    }
    if (!schemes.includes(parsedUrl.protocol)) {
      return r.fail(r.deref(raw), `${path} ${JSON.stringify(value)} has scheme ${JSON.stringify(parsedUrl.protocol.replace(/:$/, ''))}`, expected);
    }
    return value;
  };
}

/**
 * A list of named mappings whose names must be unique; a repeated name is reported
 * at the later item's `name`.
 */
export function uniqueListOf<T extends { name: string }>(item: ValueReader<T>, what: string, opts: { nonEmpty?: boolean } = {}): ValueReader<T[]> {
  const list = listOf<{ value: T; node: unknown; path: string }>((r, raw, path) => {
    const value = item(r, raw, path);
    const node = r.deref(raw);
    return value === undefined ? undefined : { value, node: isMap(node) ? node.get('name', true) : node, path };
  }, opts);
  return (r, raw, path) => {
    const items = list(r, raw, path);
    if (items === undefined) return undefined;
    const seen = new Map<string, string>();
    for (const { value, node, path: itemPath } of items) {
      const earlier = seen.get(value.name);
      if (earlier === undefined) seen.set(value.name, itemPath);
      else r.fail(node, `${itemPath}.name ${JSON.stringify(value.name)} is already used by ${earlier}`, `expected unique ${what} names`);
    }
    return items.map((i) => i.value);
  };
}
