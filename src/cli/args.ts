// Command-line parsing: positionals plus --flags, each command declaring which flags take
// a value, which are switches and which repeat. Anything else is a usage error.
import { UsageError } from './errors.js';

export interface FlagSpec {
  values?: string[];
  switches?: string[];
  repeat?: string[];
}

export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string[]>;
  switches: Set<string>;
}

export const COMMON_VALUES = ['config', 'data', 'hub', 'token-file', 'ca'];
export const COMMON_SWITCHES = ['json', 'debug', 'help'];

export function parseArgs(cmd: string, argv: string[], spec: FlagSpec): ParsedArgs {
  const values = new Set([...(spec.values ?? []), ...(spec.repeat ?? []), ...COMMON_VALUES]);
  const switches = new Set([...(spec.switches ?? []), ...COMMON_SWITCHES]);
  const out: ParsedArgs = { positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a.length > 1) throw new UsageError(`${cmd}: unknown option ${a}`);
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (switches.has(name)) {
      if (eq > 0) throw new UsageError(`${cmd}: --${name} takes no value`);
      out.switches.add(name);
    } else if (values.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${cmd}: --${name} needs a value`);
      // `--confirm --data DIR`: the next option is not the value (a value that looks like one: --name=VALUE)
      const next = eq > 0 || !v.startsWith('--') ? null : v.slice(2).split('=')[0]!;
      if (next !== null && (values.has(next) || switches.has(next))) throw new UsageError(`${cmd}: --${name} needs a value, not the option --${next} (write --${name}=VALUE for a value that starts with --)`);
      const list = out.values.get(name) ?? [];
      if (list.length > 0 && !(spec.repeat ?? []).includes(name)) throw new UsageError(`${cmd}: --${name} given twice`);
      list.push(v);
      out.values.set(name, list);
    } else {
      throw new UsageError(`${cmd}: unknown option --${name}`);
    }
  }
  return out;
}

export function value(a: ParsedArgs, name: string): string | undefined {
  return a.values.get(name)?.[0];
}

export function required(a: ParsedArgs, cmd: string, name: string): string {
  const v = value(a, name);
  if (v === undefined) throw new UsageError(`${cmd}: --${name} is required`);
  return v;
}
