// Where things are: the config file, the data directory and the hub, resolved the way
// DESIGN.md says (flags, then environment, then config, then defaults).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../client/api-client.js';
import { resolveConfigPath } from '../config/config-path.js';
import { emptyConfig } from '../config/defaults.js';
import type { DrcConfig } from '../config/types.js';
import type { Role } from '../protocol/access.js';
import { value, type ParsedArgs } from './args.js';
import { UsageError } from './errors.js';

export interface Context {
  config: DrcConfig;
  dataDir: string;
  hubTarget: string;
  hubToken: string | undefined;
  /** PEM of the CA for a wss:// hub (--ca FILE or DRC_CA) */
  hubCa: Buffer | undefined;
  json: boolean;
}

/** A file given on the command line or in the environment, read; a missing one is a one-line usage error. */
export function readGiven(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'drc');
}

let loadConfig: ((file: string) => DrcConfig) | null = null;

/**
 * Import the config parser (yaml and the schemas: a tenth of a second of a command's start)
 * when the command may read a config file (main runs this before each command), so that a
 * command run without one starts sooner.
 */
export async function prepareConfig(argv: string[]): Promise<void> {
  const given = argv.some((x) => x === '--config' || x.startsWith('--config='));
  if (loadConfig || (!given && !resolveConfigPath({ env: process.env, cwd: process.cwd() }))) return;
  loadConfig = (await import('../config/load.js')).loadConfig;
}

export function resolveContext(a: ParsedArgs): Context {
  const file = resolveConfigPath({ config: value(a, 'config'), env: process.env, cwd: process.cwd() });
  if (file && !loadConfig) throw new Error('the config parser was not loaded (prepareConfig)');
  const config = file && loadConfig ? loadConfig(file) : emptyConfig();
  const dataFlag = value(a, 'data');
  const dataDir = path.resolve(dataFlag ?? config.hub.data ?? defaultDataDir());
  const hubFlag = value(a, 'hub') ?? process.env.DRC_HUB;
  let hubTarget = path.join(dataDir, 'api.sock');
  if (hubFlag) hubTarget = hubFlag;
  else if (!dataFlag && config.hub.listen.apiTcp && process.env.DRC_USE_TCP) {
    hubTarget = `${config.hub.tls ? 'wss' : 'ws'}://${config.hub.listen.apiTcp.host}:${config.hub.listen.apiTcp.port}`;
  }
  // the operator's token: --token-file, DRC_TOKEN, DRC_TOKEN_FILE, else the config's hub.api_token
  const tokenFile = value(a, 'token-file') ?? (process.env.DRC_TOKEN ? undefined : process.env.DRC_TOKEN_FILE);
  const hubToken = tokenFile ? readGiven('--token-file', tokenFile).toString('utf8').trim() : (process.env.DRC_TOKEN ?? config.hub.apiToken ?? undefined);
  const caFile = value(a, 'ca') ?? process.env.DRC_CA;
  const hubCa = caFile ? readGiven('--ca', caFile) : undefined;
  return { config, dataDir, hubTarget, hubToken, hubCa, json: a.switches.has('json') };
}

export function connect(ctx: Context, o: { role?: Role } = {}): Promise<ApiClient> {
  return ApiClient.connect({ target: ctx.hubTarget, token: ctx.hubToken, ca: ctx.hubCa, role: o.role });
}
