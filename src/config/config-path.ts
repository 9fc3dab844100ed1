/**
 * Finding the config file (without loading the parser: a command run without one does not
 * pay for importing yaml and the schemas).
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface ConfigPathOptions {
  /** The --config flag. */
  config?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.cwd(). */
  cwd?: string;
}

/**
 * Where the config is: `--config`, else `$DRC_CONFIG` (returned without checking that
 * it exists, so that a wrong explicit path is reported by loadConfig), else `./drc.yaml`
 * if it exists, else `$XDG_CONFIG_HOME/drc/drc.yaml` (default `~/.config`) if it exists,
 * else null. Explicit relative paths are resolved against `cwd` when it is given.
 */
export function resolveConfigPath(opts: ConfigPathOptions): string | null {
  const env = opts.env ?? process.env;
  const explicit = nonEmpty(opts.config) ?? nonEmpty(env['DRC_CONFIG']);
  if (explicit !== undefined) return opts.cwd === undefined ? explicit : resolve(opts.cwd, explicit);

  const local = join(opts.cwd ?? process.cwd(), 'drc.yaml');
  if (isFile(local)) return local;

  const xdg = nonEmpty(env['XDG_CONFIG_HOME']);
  const configHome = xdg !== undefined && isAbsolute(xdg) ? xdg : join(nonEmpty(env['HOME']) ?? homedir(), '.config');
  const user = join(configHome, 'drc', 'drc.yaml');
  return isFile(user) ? user : null;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
