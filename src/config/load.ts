/**
 * Finding and reading the config file.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';
import type { DrcConfig } from './types.js';

/** Reads and validates a config file; unreadable files are a ConfigError at 1:1. */
export function loadConfig(path: string): DrcConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(path, 1, 1, `cannot read file: ${reason}`);
  }
  return parseConfig(text, path);
}

export { resolveConfigPath, type ConfigPathOptions } from './config-path.js';
