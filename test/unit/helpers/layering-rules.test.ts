// The layering checker (test/helpers/layering.ts) itself: each rule catches its case on a
// made-up file set, so a green test/unit/layering.test.ts means the tree keeps the rule.
import { describe, expect, it } from 'vitest';
import { checkLayering } from '../../helpers/layering.js';

const rulesBroken = (files: Record<string, string>): string[] => [...new Set(checkLayering(new Map(Object.entries(files))).map((v) => `${v.rule} ${v.file}`))].sort();

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
