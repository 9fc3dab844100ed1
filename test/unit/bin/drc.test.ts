// bin/drc, the installed command: it runs bin/drc.js with Node flags picked per command
// (the cockpit's small young generation), passes every argument through untouched, and
// works through a symlink, as npm and global installs link it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../helpers/cluster.js';

const dir = tempDir('bin-wrapper');
// a stand-in for node that prints what it was started with, one argument per line
const fakeNode = path.join(dir, 'fake-node');
fs.writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
const link = path.join(dir, 'bin', 'drc');
fs.mkdirSync(path.dirname(link));
fs.symlinkSync(path.join(ROOT, 'bin', 'drc'), link);

function argsOf(cmd: string, ...args: string[]): string[] {
  return execFileSync(cmd, args, { env: { ...process.env, DRC_NODE: fakeNode }, encoding: 'utf8' }).split('\n').slice(0, -1);
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bin/drc', () => {
  const script = path.join(ROOT, 'bin', 'drc.js');
  it('starts the cockpit and the demo with a 4 MiB semi-space young generation', () => {
    expect(argsOf(path.join(ROOT, 'bin', 'drc'))).toEqual(['--max-semi-space-size=4', script]);
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), 'cockpit', '--hub', 'ws://h:1')).toEqual(['--max-semi-space-size=4', script, 'cockpit', '--hub', 'ws://h:1']);
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), 'demo')).toEqual(['--max-semi-space-size=4', script, 'demo']);
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), '--readonly')).toEqual(['--max-semi-space-size=4', script, '--readonly']);
  });

  it('leaves the hub, the agent and the other commands on V8 defaults, arguments untouched', () => {
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), 'serve', '--data', 'a dir/with space')).toEqual([script, 'serve', '--data', 'a dir/with space']);
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), 'agent', '--volume', 'disk=/x')).toEqual([script, 'agent', '--volume', 'disk=/x']);
    expect(argsOf(path.join(ROOT, 'bin', 'drc'), 'backup', 'web-01', '--json', '')).toEqual([script, 'backup', 'web-01', '--json', '']);
  });

  it('finds drc.js through a symlink', () => {
    expect(argsOf(link, 'hosts')).toEqual([script, 'hosts']);
  });

  it('runs the real command', () => {
    const out = execFileSync(path.join(ROOT, 'bin', 'drc'), ['hosts', '--help'], { env: { ...process.env, DRC_NODE: process.execPath }, encoding: 'utf8' });
    expect(out).toContain('hosts add NAME');
  });
});
