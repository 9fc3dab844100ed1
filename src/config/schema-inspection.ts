/**
 * The `inspection` section: the daily inspection report sent by the hub through channels
 * (an e-mail every morning, a chat message) on a cron, and by `drc inspect --send`.
 */
import { DEFAULT_TIMEZONE } from './defaults.js';
import { cron, timezone } from './schema-schedules.js';
import type { InspectionConfig } from './types.js';
import { listOf, readMapping, reference, requireKeys, type ValueReader } from './yaml-readers.js';

export const readInspection: ValueReader<InspectionConfig> = (r, raw, path) => {
  const m = readMapping(r, raw, path, {
    cron,
    timezone,
    channels: listOf(reference('channel'), { nonEmpty: true }),
  });
  if (m === undefined) return undefined;
  requireKeys(r, m, [['channels', 'expected a non-empty list of channel names to send the inspection to']]);
  const v = m.values;
  if (v.channels === undefined) return undefined;
  return { cron: v.cron ?? null, timezone: v.timezone ?? DEFAULT_TIMEZONE, channels: v.channels };
};
