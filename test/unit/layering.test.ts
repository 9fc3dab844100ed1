// The dependency rule of docs/architecture.md, read from the imports of every file in src/ and
// agent/: the agent imports only src/protocol, lower modules never reach hub/tui/cli, only the
// composition root's callers import hub.ts, SQL lives in src/catalog, no circle between modules.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayering, type Violation } from '../helpers/layering.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Offenders tolerated for now, each as `rule file`: none. The list may only shrink: a file that
 * stops breaking its rule must leave the list (the second test fails until it does).
 */
const KNOWN: string[] = [];

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of ['src', 'agent'])
    for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
      if (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) files.set(`${dir}/${f.split(path.sep).join('/')}`, fs.readFileSync(path.join(ROOT, dir, f), 'utf8'));
  return files;
}

const key = (v: Violation): string => `${v.rule} ${v.file}`;


describe('the layering of src/ and agent/', () => {
  const violations = checkLayering(sourceFiles());

  it('has no offender but the known ones', () => {
    const fresh = violations.filter((v) => !KNOWN.includes(key(v))).map((v) => `${key(v)}: ${v.detail}`);
    expect(fresh).toEqual([]);
  });

  it('lists only files that still break their rule, so the known list can only shrink', () => {
    const now = new Set(violations.map(key));
    expect(KNOWN.filter((k) => !now.has(k))).toEqual([]);
  });
});
