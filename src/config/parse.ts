/**
 * parseConfig: YAML text → validated DrcConfig, or the first ConfigError in the file.
 */
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { defaultHub, defaultMaintenance, defaultRecovery, defaultStore } from './defaults.js';
import { ConfigError } from './errors.js';
import { ConfigReader, readMapping, type ReferenceKind } from './yaml-readers.js';
import { readAgent } from './schema-agent.js';
import { readAlarms, readChannels } from './schema-alarms.js';
import { readHosts, readHub, readTiers } from './schema-hub.js';
import { readChecks, readPlans, readRecovery, readTargets } from './schema-recovery.js';
import { readGlobalRetention, readSchedules } from './schema-schedules.js';
import { readMaintenance } from './schema-maintenance.js';
import { readCopies, readStore } from './schema-store.js';
import { readInspection } from './schema-inspection.js';
import type { DrcConfig } from './types.js';

/**
 * Parses and validates a config file's text. `file` names the file in error messages,
 * and relative paths in the config are resolved against its directory.
 * Throws the ConfigError that comes first in the file.
 */
export function parseConfig(text: string, file: string): DrcConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) throw yamlError(syntaxError, file, lineCounter);

  const r = new ConfigReader(file, dirname(resolve(file)), lineCounter, doc);
  const m = readMapping(r, doc.contents, '', {
    hub: readHub,
    tiers: readTiers,
    hosts: readHosts,
    agent: readAgent,
    schedules: readSchedules,
    retention: readGlobalRetention,
    alarms: readAlarms,
    channels: readChannels,
    targets: readTargets,
    checks: readChecks,
    plans: readPlans,
    recovery: readRecovery,
    store: readStore,
    copies: readCopies,
    maintenance: readMaintenance,
    inspection: readInspection,
  });
  const v = m?.values ?? {};
  const config: DrcConfig = {
    source: resolve(file),
    hub: v.hub ?? defaultHub(),
    tiers: v.tiers ?? [],
    hosts: v.hosts ?? [],
    agent: v.agent ?? null,
    schedules: v.schedules ?? [],
    retention: v.retention ?? null,
    alarms: v.alarms ?? [],
    channels: v.channels ?? [],
    targets: v.targets ?? [],
    checks: v.checks ?? [],
    plans: v.plans ?? [],
    recovery: v.recovery ?? defaultRecovery(),
    store: v.store ?? defaultStore(),
    copies: v.copies ?? [],
    maintenance: v.maintenance ?? defaultMaintenance(),
    ...(v.inspection ? { inspection: v.inspection } : {}),
  };
  checkReferences(r);
  const first = r.firstError();
  if (first !== null) throw first;
  return config;
}

/** Every tier, channel and check named somewhere must be defined (even if the definition has other errors). */
function checkReferences(r: ConfigReader): void {
  for (const ref of r.references) {
    const defined = r.defined[ref.kind];
    if (!defined.has(ref.name)) r.fail(ref.node, `${ref.path} ${JSON.stringify(ref.name)} is not a defined ${ref.kind}`, knownNames(ref.kind, [...defined]));
  }
}

function knownNames(kind: ReferenceKind, names: readonly string[]): string {
  return names.length > 0 ? `one of: ${names.join(', ')}` : `no ${kind}s are defined`;
}

function yamlError(error: YAMLError, file: string, lineCounter: LineCounter): ConfigError {
  const { line, col } = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
  // The library appends " at line L, column C:" and a source excerpt; we give the position ourselves.
  const what =
    error.code === 'MULTIPLE_DOCS'
      ? 'the file contains more than one YAML document'
      : (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return new ConfigError(file, line, col, `invalid YAML: ${what}`);
}
