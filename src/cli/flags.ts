// The options each command accepts, in one place: its parser reads them from here, and a
// test checks that its --help names every one of them.
import type { FlagSpec } from './args.js';

export const FLAGS = {
  agent: { values: ['host', 'token', 'token-file', 'block-size', 'watch', 'ca', 'metrics', 'tracker', 'qmp', 'nbd'], repeat: ['volume'] },
  alarms: { values: ['note', 'limit'], switches: ['open'] },
  audit: { values: ['since', 'host', 'limit'] },
  backup: { values: ['volume', 'priority', 'timeout'], switches: ['full', 'wait'] },
  cockpit: { switches: ['readonly'] },
  demo: { values: ['dir'], switches: ['readonly', 'keep'] },
  drill: { values: ['plan', 'point', 'target', 'ttl', 'verdict', 'notes'], switches: ['yes', 'all', 'expired'] },
  failover: { values: ['point', 'target', 'confirm'] },
  gc: { values: ['limit'] },
  hosts: { values: ['tags', 'tier', 'expires'] },
  logs: { values: ['out'] },
  operators: { values: ['role', 'expires'] },
  points: { values: ['volume'] },
  prune: { values: ['now'], switches: ['dry-run'] },
  report: { values: ['format', 'out'] },
  restore: { values: ['volume', 'point', 'to', 'format'], switches: ['no-fsync', 'force', 'allow-damaged'] },
  schedules: {},
  serve: { values: ['listen-agents', 'listen-http', 'concurrency'] },
  status: {},
  tasks: { values: ['state', 'host'] },
  verify: { values: ['sample'] },
  completion: {},
  inspect: { values: ['format', 'out'] },
} satisfies Record<string, FlagSpec>;
