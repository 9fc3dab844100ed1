// Where things are: the config file, the data directory and the hub, resolved the way
// DESIGN.md says (flags, then environment, then config, then defaults).
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../client/api-client.js';
import { emptyConfig, loadConfig, resolveConfigPath, type DrcConfig } from '../config/index.js';
import { value, type ParsedArgs } from './args.js';

export interface Context {
  config: DrcConfig;
  dataDir: string;
  hubTarget: string;
  hubToken: string | undefined;
  json: boolean;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'drc');
}

export function resolveContext(a: ParsedArgs): Context {
  const file = resolveConfigPath({ config: value(a, 'config'), env: process.env, cwd: process.cwd() });
  const config = file ? loadConfig(file) : emptyConfig();
  const dataFlag = value(a, 'data');
  const dataDir = path.resolve(dataFlag ?? config.hub.data ?? defaultDataDir());
  const hubFlag = value(a, 'hub') ?? process.env.DRC_HUB;
  let hubTarget = path.join(dataDir, 'api.sock');
  if (hubFlag) hubTarget = hubFlag;
  else if (!dataFlag && config.hub.listen.apiTcp && process.env.DRC_USE_TCP) {
    hubTarget = `ws://${config.hub.listen.apiTcp.host}:${config.hub.listen.apiTcp.port}`;
  }
  return { config, dataDir, hubTarget, hubToken: process.env.DRC_TOKEN ?? config.hub.apiToken ?? undefined, json: a.switches.has('json') };
}

export function connect(ctx: Context): Promise<ApiClient> {
  return ApiClient.connect({ target: ctx.hubTarget, token: ctx.hubToken });
}
