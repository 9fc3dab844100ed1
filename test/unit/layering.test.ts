// The dependency rule of docs/architecture.md, read from the imports of every file in src/ and
// agent/: the agent imports only src/protocol, lower modules never reach hub/tui/cli, only the
// composition root's callers import hub.ts, SQL lives in src/catalog, no circle between modules.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayering, type Violation } from '../helpers/layering.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Today's offenders, each as `rule file`. The list may only shrink: a file that stops breaking
 * its rule must leave the list (the second test fails until it does), a new offender fails the first.
 */
const KNOWN = [
  'module-cycle src/alarms/service.ts',
  'module-cycle src/catalog/alarm-store.ts',
  'upward-import src/catalog/alarm-store.ts',
  'upward-import src/hub/hub.ts',
  'imports-composition-root src/hub/inspection-requests.ts',
  'imports-composition-root src/hub/inspection-view.ts',
  'imports-composition-root src/hub/inspection.ts',
  'imports-composition-root src/hub/jobs.ts',
  'imports-composition-root src/hub/log-bundle.ts',
  'imports-composition-root src/hub/maintenance-requests.ts',
  'imports-composition-root src/hub/maintenance.ts',
  'imports-composition-root src/hub/metrics.ts',
  'imports-composition-root src/hub/prune.ts',
  'imports-composition-root src/hub/recovery-link.ts',
  'imports-composition-root src/hub/recovery-requests.ts',
  'imports-composition-root src/hub/requests.ts',
  'imports-composition-root src/hub/schedules.ts',
  'sql-outside-catalog src/hub/facts.ts',
  'sql-outside-catalog src/hub/inspection-view.ts',
  'sql-outside-catalog src/hub/inspection.ts',
  'sql-outside-catalog src/hub/log-bundle.ts',
  'sql-outside-catalog src/hub/metrics.ts',
  'sql-outside-catalog src/recovery/run-store.ts',
];

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of ['src', 'agent'])
    for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
      if (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) files.set(`${dir}/${f.split(path.sep).join('/')}`, fs.readFileSync(path.join(ROOT, dir, f), 'utf8'));
  return files;
}

const key = (v: Violation): string => `${v.rule} ${v.file}`;
const rulesBroken = (files: Record<string, string>): string[] => [...new Set(checkLayering(new Map(Object.entries(files))).map(key))].sort();

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

describe('the layering checker', () => {
  it('passes a tree that keeps the rule', () => {
    expect(
      rulesBroken({
        'agent/agent.ts': "import { WebSocket } from 'ws';\nimport fs from 'node:fs';\nimport { parseHubMessage } from '../src/protocol/agent.js';",
        'agent/trackers/scan.ts': "import type { Offer } from '../../src/protocol/agent.js';\nimport { log } from '../log.js';",
        'agent/log.ts': "import path from 'node:path';",
        'src/protocol/agent.ts': "import { createHash } from 'node:crypto';\nexport const hint = 'Select a point from the list';",
        'src/catalog/catalog.ts': "import Database from 'better-sqlite3';\nimport type { Tier } from '../config/types.js';\nconst q = (db: Database) => db.prepare('SELECT * FROM points');",
        'src/alarms/service.ts': "import type { Catalog } from '../catalog/catalog.js';\nimport { rpoStatus } from '../recovery/rpo.js';\nimport { formatBytes } from '../format/human.js';",
        'src/config/types.ts': 'export type Tier = string;',
        'src/hub/hub.ts': "import { Catalog } from '../catalog/catalog.js';\nimport { jobs } from './jobs.js';",
        'src/hub/jobs.ts': "import type { Clock } from './ports.js';\nconst m = 'Delete the point?';",
        'src/cli/commands/serve.ts': "import { Hub } from '../../hub/hub.js';\nimport { Agent } from '../../../agent/agent.js';\nconst load = () => import('../main.js');",
      }),
    ).toEqual([]);
  });

  it('catches the agent importing src/ beyond src/protocol, or a package outside its set', () => {
    expect(
      rulesBroken({
        'agent/agent.ts': "import { loadConfig } from '../src/config/load.js';\nimport chalk from 'chalk';",
        'src/protocol/agent.ts': "export { Database } from 'better-sqlite3';",
      }),
    ).toEqual([
      'agent-imports-beyond-protocol agent/agent.ts',
      'package-beyond-agent-set agent/agent.ts',
      'package-beyond-agent-set src/protocol/agent.ts',
    ]);
  });

  it('catches store, recovery, alarms, scheduler, catalog or protocol importing the hub, the cockpit or the CLI', () => {
    for (const mod of ['store', 'recovery', 'alarms', 'scheduler', 'catalog', 'protocol'])
      for (const [up, file] of [['hub', 'live.ts'], ['tui', 'store.ts'], ['cli', 'output.ts']])
        expect(rulesBroken({ [`src/${mod}/x.ts`]: `import type { T } from '../${up}/${file.replace('.ts', '.js')}';` })).toContain(`domain-imports-hub-tui-cli src/${mod}/x.ts`);
  });

  it('catches a hub module importing hub.ts, by a static, type-only, re-exporting or dynamic import', () => {
    expect(
      rulesBroken({
        'src/hub/hub.ts': 'export class Hub {}',
        'src/hub/a.ts': "import { Hub } from './hub.js';",
        'src/hub/b.ts': "import type { Hub } from './hub.js';",
        'src/hub/c.ts': "export { Hub } from './hub.js';",
        'src/hub/d.ts': "const h = await import('./hub.js');",
        'src/hub/deep/e.ts': "import { Hub } from '../hub.js';",
        'src/hub/f.ts': "// a comment naming import { Hub } from './hub.js' is no import\nexport const f = 1;",
      }),
    ).toEqual(['a', 'b', 'c', 'd', 'deep/e'].map((f) => `imports-composition-root src/hub/${f}.ts`));
  });

  it('catches SQL text outside src/catalog: passed to prepare or exec, or shaped like a statement anywhere', () => {
    expect(
      rulesBroken({
        'src/hub/facts.ts': 'const rows = c.db.prepare(`SELECT host_id FROM jobs WHERE id = ${id}`).all();',
        'src/hub/metrics.ts': "c.db\n  .prepare(\n    'SELECT COUNT(*) AS n ' +\n    'FROM points')\n  .get();",
        'src/recovery/run-store.ts': "this.db.exec('CREATE TABLE t (a)');",
        'src/hub/log-bundle.ts': "const q = (sql: string) => c.db.prepare(sql).all();\nq('DELETE FROM audit');",
        'src/alarms/service.ts': "db.prepare(\"UPDATE alarms SET state = 'closed'\").run();",
        'src/catalog/jobs.ts': "db.prepare('SELECT * FROM jobs').all();",
        'src/tui/views/Points.tsx': "const hint = 'SELECT a point and press r';",
      }),
    ).toEqual(['alarms/service', 'hub/facts', 'hub/log-bundle', 'hub/metrics', 'recovery/run-store'].map((f) => `sql-outside-catalog src/${f}.ts`));
  });

  it('catches an import from a lower module to a higher one or a peer, and names every file of a circle', () => {
    expect(
      rulesBroken({
        'src/store/block-store.ts': "import { Catalog } from '../catalog/catalog.js';",
        'src/catalog/catalog.ts': "import type { Chunk } from '../store/chunk.js';",
        'src/store/chunk.ts': 'export type Chunk = string;',
        'src/scheduler/planner.ts': "import type { Alarm } from '../alarms/types.js';",
        'src/alarms/types.ts': 'export type Alarm = string;',
        'src/recovery/rpo.ts': "import { nextRun } from '../scheduler/planner.js';",
      }),
    ).toEqual([
      'module-cycle src/catalog/catalog.ts',
      'module-cycle src/store/block-store.ts',
      'upward-import src/catalog/catalog.ts',
      'upward-import src/recovery/rpo.ts',
      'upward-import src/scheduler/planner.ts',
    ]);
  });

  it('catches a circle through modules the rule does not place, and names those modules', () => {
    expect(
      rulesBroken({
        'src/billing/a.ts': "import { b } from '../ledger/b.js';",
        'src/ledger/b.ts': "import { a } from '../billing/a.js';",
      }),
    ).toEqual(['module-cycle src/billing/a.ts', 'module-cycle src/ledger/b.ts', 'unplaced-module src/billing/a.ts', 'unplaced-module src/ledger/b.ts']);
  });

  it('catches source importing test or bench code', () => {
    expect(rulesBroken({ 'src/hub/clock.ts': "import { fakeClock } from '../../test/helpers/clock.js';" })).toEqual(['import-outside-source src/hub/clock.ts']);
  });
});
