#!/usr/bin/env node
// Replaces four files of ink 6.5.1's build with drc's faster, bounded versions from
// patches/ink (see the header of each). Runs as `postinstall`; idempotent. It checks the
// installed files are exactly the ones the patches were written against, and fails loudly
// otherwise — an ink upgrade must come with new patches. The upstream files are kept as
// NAME.upstream.js for test/unit/scripts/patch-ink.test.ts to compare against.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const inkDir = path.join(root, 'node_modules', 'ink');
const VERSION = '6.5.1';
/** build file → sha256 of upstream's */
const UPSTREAM = {
  'output.js': '6fd68da37e1e7519225b7a95a405b78f55d4db2345fb7173dbe6929dc8ebda99',
  'measure-text.js': '4562d24171af3063b91a0d965c652ebdf1e2bdf4fe7f75c6bc8664fefc77df6a',
  'wrap-text.js': 'd2b8b4d05ed0eadd6c52149092f062ba048cda9928ce88e5176107c6fe38c19e',
  'render-node-to-output.js': 'd0c06d2474bd6338fa807ba0a0a39fb713a197df38c7a266b9316c6dd80b3297',
};

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const fail = (msg) => {
  process.stderr.write(`patch-ink: ${msg}\n`);
  process.exit(1);
};

if (!fs.existsSync(inkDir)) {
  // installed without ink (e.g. --omit of a future optional cockpit): nothing to patch
  process.exit(0);
}
const version = JSON.parse(fs.readFileSync(path.join(inkDir, 'package.json'), 'utf8')).version;
if (version !== VERSION) fail(`${inkDir} is ink ${version}; patches/ink was written for ${VERSION}: update the patches with ink`);

let patched = 0;
for (const [name, want] of Object.entries(UPSTREAM)) {
  const target = path.join(inkDir, 'build', name);
  const upstream = target.replace(/\.js$/, '.upstream.js');
  const ours = path.join(root, 'patches', 'ink', name);
  const current = sha256(target);
  if (current === want) {
    fs.copyFileSync(target, upstream);
  } else if (!fs.existsSync(upstream) || sha256(upstream) !== want) {
    fail(`${target} is not ink ${VERSION}'s file (sha256 ${current}) and no upstream copy is kept: reinstall ink`);
  }
  if (fs.readFileSync(target, 'utf8') !== fs.readFileSync(ours, 'utf8')) {
    fs.copyFileSync(ours, target);
    patched++;
  }
}
process.stdout.write(`patch-ink: ink ${VERSION}, ${patched} of ${Object.keys(UPSTREAM).length} build files replaced from patches/ink\n`);
