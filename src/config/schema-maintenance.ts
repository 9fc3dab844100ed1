/**
 * The `maintenance` section: when the hub runs retention, gc, the journal's retention and the
 * spread-out full verify by itself, and the watchdog that fails jobs making no progress.
 */
import { defaultMaintenance } from './defaults.js';
import { isEmptyNode, int, readMapping, str, type ValueReader } from './yaml-readers.js';
import { cron, timeWindow, timezone } from './schema-schedules.js';
import type { MaintenanceConfig, TimeWindow } from './types.js';
import { duration, positiveDuration, size } from './values.js';

/** A cron expression, or `off` for no automatic runs. */
const cronOrOff: ValueReader<string | null> = (r, raw, path) => {
  const text = str(r, raw, path);
  if (text === undefined) return undefined;
  return text.trim() === 'off' ? null : cron(r, raw, path);
};

/** A daily window, or `off` for any time of day. */
const windowOrOff: ValueReader<TimeWindow | null> = (r, raw, path) => {
  const text = str(r, raw, path);
  if (text === undefined) return undefined;
  return text.trim() === 'off' ? null : timeWindow(r, raw, path);
};

export const readMaintenance: ValueReader<MaintenanceConfig> = (r, raw, path) => {
  if (isEmptyNode(r.deref(raw))) return defaultMaintenance();
  const m = readMapping(r, raw, path, {
    cron: cronOrOff,
    timezone,
    window: windowOrOff,
    gc_limit: size,
    verify_every: duration,
    verify_per_run: int(0),
    events_keep: positiveDuration,
    audit_keep: positiveDuration,
    stall_timeout: positiveDuration,
  });
  if (m === undefined) return undefined;
  const d = defaultMaintenance();
  const v = m.values;
  const eventsKeep = v.events_keep ?? d.eventsKeep;
  const auditKeep = v.audit_keep ?? d.auditKeep;
  // the audit log answers "who did what" long after the events are gone
  if (v.audit_keep !== undefined && auditKeep < eventsKeep) {
    r.fail(m.nodeOf('audit_keep'), `${path}.audit_keep is shorter than events_keep`, 'expected the audit log to be kept at least as long as events');
  }
  if (v.gc_limit === 0) r.fail(m.nodeOf('gc_limit'), `${path}.gc_limit is zero`, 'expected bytes per second above 0 (leave it out for no limit)');
  return {
    cron: v.cron === undefined ? d.cron : v.cron,
    timezone: v.timezone ?? d.timezone,
    window: v.window === undefined ? d.window : v.window,
    gcLimit: v.gc_limit ?? d.gcLimit,
    verifyEvery: v.verify_every ?? d.verifyEvery,
    verifyPerRun: v.verify_per_run ?? d.verifyPerRun,
    eventsKeep,
    auditKeep,
    stallTimeout: v.stall_timeout ?? d.stallTimeout,
  };
};
