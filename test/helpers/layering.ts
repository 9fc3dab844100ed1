// The dependency rule of docs/architecture.md as a check over source text: which top-level module
// may import which, the agent's narrow imports, the composition root, SQL only in src/catalog,
// and no circle between modules. Pure: it takes the files as text and returns what breaks the rule.
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export type Rule =
  | 'agent-imports-beyond-protocol'
  | 'package-beyond-agent-set'
  | 'domain-imports-hub-tui-cli'
  | 'imports-composition-root'
  | 'upward-import'
  | 'module-cycle'
  | 'sql-outside-catalog'
  | 'import-outside-source'
  | 'unplaced-module';

export interface Violation {
  rule: Rule;
  file: string;
  detail: string;
}

/** Top-level modules from the bottom up: a module imports only modules on lower layers, never a peer. */
export const LAYERS: readonly (readonly string[])[] = [
  ['protocol', 'format'],
  ['config'],
  ['catalog'],
  ['store'],
  ['scheduler', 'recovery', 'reports'],
  ['alarms'],
  ['hub', 'client'],
  ['tui', 'agent'],
  ['demo'],
  ['cli'],
];

/** Modules that must not reach the hub, the cockpit or the command line. */
export const DOMAIN = ['store', 'recovery', 'alarms', 'scheduler', 'catalog', 'protocol'];
/** Packages the agent (and src/protocol, which it imports) may use besides Node's built-ins. */
export const AGENT_PACKAGES = ['ws', 'hash-wasm', 'zstd-napi'];
export const COMPOSITION_ROOT = 'src/hub/hub.ts';

const SQL_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH)\b/;
const SQL_SHAPE =
  /^\s*(SELECT\s[\s\S]*?\bFROM\s|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TEMP\s+|UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\s|WITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s*\()/;

/** The top-level module a source path belongs to: `agent`, or the folder under `src/`. */
export function moduleOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'agent') return 'agent';
  if (parts[0] === 'src' && parts.length > 2) return parts[1]!;
  return null;
}

const layerOf = new Map(LAYERS.flatMap((mods, i) => mods.map((m) => [m, i] as const)));

interface Import {
  spec: string;
  /** Repository-relative path of a relative import, with `.js` read as the `.ts`/`.tsx` source. */
  target: string | null;
}

function importsOf(file: string, text: string, files: ReadonlyMap<string, string>): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: spec }) => {
    if (!spec.startsWith('.')) return { spec, target: null };
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const base = joined.replace(/\.(js|jsx|ts|tsx)$/, '');
    const target = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((f) => files.has(f)) ?? joined;
    return { spec, target };
  });
}

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);
}

/** String literals that are SQL: shaped like a statement, or starting with a keyword and passed to prepare/exec. */
function sqlIn(file: string, text: string): string[] {
  if (!/\b(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH)\b/.test(text)) return [];
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const literal = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : ts.isTemplateExpression(node) ? node.head.text : undefined;
    if (literal !== undefined && (SQL_SHAPE.test(literal) || (SQL_START.test(literal) && passedToPrepare(node)))) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`line ${line + 1}: ${literal.trim().split(/\s+/).slice(0, 4).join(' ')}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function passedToPrepare(node: ts.Node): boolean {
  let arg = node;
  while (ts.isParenthesizedExpression(arg.parent) || (ts.isBinaryExpression(arg.parent) && arg.parent.left === arg)) arg = arg.parent;
  const call = arg.parent;
  if (!ts.isCallExpression(call) || call.arguments[0] !== arg) return false;
  const callee = call.expression;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
  return name === 'prepare' || name === 'exec';
}

/** Every way the given source files (repository-relative path → text) break the dependency rule. */
export function checkLayering(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  const edges = new Map<string, Map<string, Set<string>>>(); // module → module → files
  for (const [file, text] of files) {
    const from = moduleOf(file);
    if (from === null) continue;
    if (!layerOf.has(from)) out.push({ rule: 'unplaced-module', file, detail: `module ${from} has no layer in the dependency rule` });
    if (!file.startsWith('src/catalog/')) for (const sql of sqlIn(file, text)) out.push({ rule: 'sql-outside-catalog', file, detail: sql });
    for (const { spec, target } of importsOf(file, text, files)) {
      if (target === null) {
        if ((from === 'agent' || from === 'protocol') && !isBuiltin(spec) && !AGENT_PACKAGES.includes(packageOf(spec)))
          out.push({ rule: 'package-beyond-agent-set', file, detail: `imports package ${spec}` });
        continue;
      }
      const to = moduleOf(target);
      if (to === null) {
        out.push({ rule: 'import-outside-source', file, detail: `imports ${target}, outside src/ and agent/` });
        continue;
      }
      if (from === 'agent' && to !== 'agent' && to !== 'protocol') out.push({ rule: 'agent-imports-beyond-protocol', file, detail: `imports ${target}` });
      if (DOMAIN.includes(from) && (to === 'hub' || to === 'tui' || to === 'cli')) out.push({ rule: 'domain-imports-hub-tui-cli', file, detail: `imports ${target}` });
      if (target === COMPOSITION_ROOT && file.startsWith('src/hub/') && file !== COMPOSITION_ROOT)
        out.push({ rule: 'imports-composition-root', file, detail: `imports ${COMPOSITION_ROOT}; take the ports it uses instead` });
      if (from === to) continue;
      const a = layerOf.get(from);
      const b = layerOf.get(to);
      if (a !== undefined && b !== undefined && b >= a) out.push({ rule: 'upward-import', file, detail: `${from} imports ${b === a ? 'its peer' : 'the higher'} ${to} (${target})` });
      const byTarget = edges.get(from) ?? new Map<string, Set<string>>();
      byTarget.set(to, (byTarget.get(to) ?? new Set<string>()).add(file));
      edges.set(from, byTarget);
    }
  }
  out.push(...cycles(edges));
  return out;
}

/** The files whose imports make a circle between top-level modules (Tarjan's strongly connected components). */
function cycles(edges: Map<string, Map<string, Set<string>>>): Violation[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) component.push(w);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  const out: Violation[] = [];
  for (const component of components) {
    const circle = component.join(' ↔ ');
    for (const from of component)
      for (const [to, files] of edges.get(from) ?? [])
        if (component.includes(to)) for (const file of files) out.push({ rule: 'module-cycle', file, detail: `${from} → ${to} closes the circle ${circle}` });
  }
  return out;
}
