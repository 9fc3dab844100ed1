// `drc completion bash|zsh|fish`: a completion script built from the command table and
// each command's accepted options (flags.ts), so it never lags behind the parser.
import { COMMON_SWITCHES, COMMON_VALUES } from '../args.js';
import { FLAGS } from '../flags.js';
import { COMMANDS } from '../main.js';
import { UsageError } from '../errors.js';

const SUBCOMMANDS: Record<string, string[]> = {
  hosts: ['add', 'revoke'],
  alarms: ['ack', 'resolve', 'test-channel'],
  drill: ['list', 'cleanup', 'verdict'],
  report: ['list', 'export'],
  logs: ['export'],
  schedules: ['run'],
  tasks: ['retry', 'cancel'],
  operators: ['add', 'revoke'],
  completion: ['bash', 'zsh', 'fish'],
  config: ['reload'],
  maintenance: ['preview', 'run'],
};

/** every --option a command accepts, its own and the common ones */
export function optionsOf(cmd: string): string[] {
  const f = (FLAGS as Record<string, { values?: string[]; switches?: string[]; repeat?: string[] }>)[cmd] ?? {};
  return [...new Set([...(f.values ?? []), ...(f.repeat ?? []), ...(f.switches ?? []), ...COMMON_VALUES, ...COMMON_SWITCHES])].map((o) => `--${o}`);
}

function words(cmd: string): string {
  return [...(SUBCOMMANDS[cmd] ?? []), ...optionsOf(cmd)].join(' ');
}

function bash(cmds: string[]): string {
  const cases = cmds.map((c) => `    ${c}) opts="${words(c)}" ;;`).join('\n');
  return `# drc bash completion: source <(drc completion bash)
_drc() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${cmds.join(' ')}" -- "$cur") )
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -F _drc drc
`;
}

function zsh(cmds: string[]): string {
  const cases = cmds.map((c) => `    ${c}) compadd -- ${words(c)} ;;`).join('\n');
  return `#compdef drc
# drc zsh completion: source <(drc completion zsh)
_drc() {
  if (( CURRENT == 2 )); then
    compadd -- ${cmds.join(' ')}
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
  _files
}
compdef _drc drc 2>/dev/null || true
`;
}

function fish(cmds: string[]): string {
  const lines = [`# drc fish completion: drc completion fish | source`, `complete -c drc -f -n '__fish_use_subcommand' -a '${cmds.join(' ')}'`];
  for (const c of cmds) {
    const about = COMMANDS[c]?.about.replace(/'/g, '') ?? '';
    lines.push(`complete -c drc -f -n '__fish_use_subcommand' -a ${c} -d '${about}'`);
    if (SUBCOMMANDS[c]) lines.push(`complete -c drc -f -n '__fish_seen_subcommand_from ${c}' -a '${SUBCOMMANDS[c].join(' ')}'`);
    for (const o of optionsOf(c)) lines.push(`complete -c drc -n '__fish_seen_subcommand_from ${c}' -l ${o.slice(2)}`);
  }
  return lines.join('\n') + '\n';
}

export async function completion(argv: string[]): Promise<number> {
  const [shell, ...rest] = argv;
  if (rest.length) throw new UsageError(`completion: unexpected argument ${rest[0]}`);
  const cmds = Object.keys(COMMANDS);
  if (shell === 'bash') process.stdout.write(bash(cmds));
  else if (shell === 'zsh') process.stdout.write(zsh(cmds));
  else if (shell === 'fish') process.stdout.write(fish(cmds));
  else throw new UsageError(`completion: expected bash, zsh or fish${shell ? `, got ${shell}` : ''}`);
  return 0;
}
