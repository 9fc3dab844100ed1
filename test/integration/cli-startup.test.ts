// A script's `drc status --json` starts a node process each time: it must load only the API
// client and its output code, never the cockpit (Ink, React), the catalog (SQLite) or the hub.
// The modules a real run loads are listed by a module hook and Node's CommonJS cache.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRC, HubProc, tempDir } from '../helpers/cluster.js';

const dir = tempDir('drc-cli-startup-');
const hub = new HubProc(path.join(dir, 'hub'));

/** what `drc ARGS` loaded: file URLs and paths of every ES and CommonJS module */
async function modulesLoadedBy(args: string[]): Promise<{ code: number; stdout: string; modules: string[] }> {
  const list = path.join(dir, `modules-${Date.now()}.txt`);
  const hooks = path.join(dir, 'hooks.mjs');
  const preload = path.join(dir, 'preload.mjs');
  fs.writeFileSync(hooks, `import fs from 'node:fs';\nexport async function load(url, ctx, next) { fs.appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, ctx); }\n`);
  fs.writeFileSync(preload, [
    `import fs from 'node:fs';`,
    `import { createRequire, register } from 'node:module';`,
    `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
    `const require = createRequire(import.meta.url);`,
    `process.on('exit', () => fs.appendFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n') + '\\n'));`,
  ].join('\n'));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', pathToFileURL(preload).href, DRC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`drc ${args.join(' ')} exited ${code}: ${stderr}`));
      resolve({ code, stdout, modules: fs.readFileSync(list, 'utf8').split('\n').filter(Boolean) });
    });
  });
}

describe('drc status --json start-up', () => {
  beforeAll(async () => {
    await hub.start();
  });
  afterAll(async () => {
    await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers from the hub having loaded neither the cockpit, React, Ink, SQLite nor the hub', async () => {
    const r = await modulesLoadedBy(['status', '--json', '--data', hub.dataDir]);
    expect((JSON.parse(r.stdout) as { hub: { name: string } }).hub.name).toBe('drc-hub');
    // the list is real: the command and the client it used are in it
    expect(r.modules.some((m) => m.endsWith('/src/cli/commands/status.js'))).toBe(true);
    expect(r.modules.some((m) => m.endsWith('/src/client/api-client.js'))).toBe(true);
    expect(r.modules.some((m) => /\/node_modules\/ws\//.test(m))).toBe(true);
    const heavy = r.modules.filter((m) => /\/node_modules\/(ink|react|react-reconciler|yoga-layout|better-sqlite3|yaml)\/|\/src\/(tui|hub|catalog)\//.test(m));
    expect(heavy).toEqual([]);
    expect(r.modules.length).toBeLessThan(80);
  });
});
