// Every option a command's parser accepts is in that command's --help, and the shell
// completion offers every command and option.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMON_SWITCHES, COMMON_VALUES } from '../../../src/cli/args.js';
import { FLAGS } from '../../../src/cli/flags.js';
import { COMMANDS, commandHelp } from '../../../src/cli/main.js';
import { DRC } from '../../helpers/cluster.js';

type Spec = { values?: string[]; switches?: string[]; repeat?: string[] };

function accepted(cmd: string): string[] {
  const f = (FLAGS as Record<string, Spec>)[cmd]!;
  return [...(f.values ?? []), ...(f.switches ?? []), ...(f.repeat ?? []), ...COMMON_VALUES, ...COMMON_SWITCHES];
}

describe('command help', () => {
  it('has the accepted options of every command in one table', () => {
    expect(Object.keys(FLAGS).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  for (const cmd of Object.keys(COMMANDS)) {
    it(`lists every option drc ${cmd} accepts in its --help`, () => {
      const help = commandHelp(cmd);
      const missing = accepted(cmd).filter((o) => !new RegExp(`--${o}(?![\\w-])`).test(help));
      expect(missing, `drc ${cmd} --help lacks`).toEqual([]);
    });
  }

  it('prints the same help from the command line, including --tracker for the agent', () => {
    const out = execFileSync(process.execPath, [DRC, 'agent', '--help'], { encoding: 'utf8' });
    expect(out).toBe(commandHelp('agent'));
    for (const o of ['--tracker', '--ca', '--qmp', '--nbd', '--token-file', '--metrics', '--block-size', '--watch']) expect(out).toContain(o);
  });
});

describe('shell completion', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    it(`offers every command and every option of it in ${shell}`, () => {
      const out = execFileSync(process.execPath, [DRC, 'completion', shell], { encoding: 'utf8' });
      for (const cmd of Object.keys(COMMANDS)) expect(out).toContain(cmd);
      for (const o of accepted('restore')) expect(out).toMatch(new RegExp(`(--|-l )${o}\\b`));
    });
  }

  it('completes a command name and its options in a real bash', () => {
    const script = execFileSync(process.execPath, [DRC, 'completion', 'bash'], { encoding: 'utf8' });
    const probe = `${script}\nCOMP_WORDS=(drc res); COMP_CWORD=1; _drc; echo "\${COMPREPLY[*]}"; COMP_WORDS=(drc restore --fo); COMP_CWORD=2; _drc; echo "\${COMPREPLY[*]}"`;
    const out = execFileSync('bash', ['-c', probe], { encoding: 'utf8' }).trim().split('\n');
    expect(out[0]).toBe('restore');
    expect(out[1]!.split(' ').sort()).toEqual(['--force', '--format']);
  });
});
