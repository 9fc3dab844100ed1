/**
 * Configuration: finding, parsing and validating drc.yaml. See docs/config.md.
 */
export { ConfigError, ValueFormatError } from './errors.js';
export { parseConfig } from './parse.js';
export { loadConfig, resolveConfigPath, type ConfigPathOptions } from './load.js';
export {
  emptyConfig,
  DEFAULT_AGENTS_LISTEN,
  DEFAULT_API_TCP_LISTEN,
  DEFAULT_HTTP_LISTEN,
  DEFAULT_HUB_NAME,
} from './defaults.js';
export { parseDuration, parseSize, parseHostPort, formatDuration, formatHostPort } from './units.js';
export { DEFAULT_BLOCK_SIZE, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from './values.js';
export * from './types.js';
