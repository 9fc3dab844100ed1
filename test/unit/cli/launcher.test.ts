// Following the launcher: the npm/npx wrappers a drc started through them watches, and when that launcher is already gone.
import { describe, expect, it } from 'vitest';
import { launcherChain, type ProcEntry } from '../../../src/cli/launcher.js';

describe('launcherChain', () => {
  const table = (entries: ProcEntry[]) => (pid: number) => entries.find((e) => e.pid === pid) ?? null;

  it('watches the shell, npm exec and the process that started npm', () => {
    const read = table([
      { pid: 30, ppid: 20, pgrp: 5, start: 'c', title: "sh -c 'drc' agent --host h1" },
      { pid: 20, ppid: 10, pgrp: 5, start: 'b', title: 'npm exec drc agent --host h1' },
      { pid: 10, ppid: 1, pgrp: 5, start: 'a', title: 'bash check.sh' },
    ]);
    expect(launcherChain(read, 30)).toEqual([{ pid: 30, start: 'c' }, { pid: 20, start: 'b' }, { pid: 10, start: 'a' }]);
  });

  it('watches nothing when drc was started without npm in between', () => {
    const read = table([
      { pid: 30, ppid: 10, pgrp: 30, start: 'c', title: 'sh -c node bin/drc.js agent' },
      { pid: 10, ppid: 1, pgrp: 10, start: 'a', title: 'systemd --user' },
    ]);
    expect(launcherChain(read, 30)).toEqual([]);
    expect(launcherChain(read, 10)).toEqual([]);
  });

  it('knows the launcher is already gone when npm was handed to init out of its own group', () => {
    const chain = (npmGroup: number) =>
      launcherChain(table([
        { pid: 30, ppid: 20, pgrp: 5, start: 'c', title: "sh -c 'drc' agent" },
        { pid: 20, ppid: 1, pgrp: npmGroup, start: 'b', title: 'npm exec drc agent' },
      ]), 30);
    expect(chain(5)).toBe('orphaned');
    expect(chain(20)).toEqual([]);
  });
});
