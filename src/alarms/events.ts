// Which hub events the event rules react to, with the result an operator filters on
// (Successful, Failed, Cancelled), and which events end a condition. A finished drill or
// failover speaks for every host it recovered, by its verdict.
import type { AlarmInputEvent } from './types.js';

type Mapping = { event: AlarmInputEvent['event']; result: string; clears: boolean };

const MAP: Record<string, Mapping[]> = {
  'host.disconnected': [{ event: 'host_disconnected', result: 'Failed', clears: false }],
  'host.connected': [{ event: 'host_disconnected', result: 'Successful', clears: true }],
  'backup.failed': [{ event: 'sync_failed', result: 'Failed', clears: false }],
  'backup.cancelled': [{ event: 'sync_failed', result: 'Cancelled', clears: false }],
  'backup.succeeded': [
    { event: 'sync_failed', result: 'Successful', clears: true },
    { event: 'bitmap_invalidated', result: 'Successful', clears: true },
  ],
  'restore.failed': [{ event: 'host_start_failed', result: 'Failed', clears: false }],
  'restore.succeeded': [{ event: 'host_start_failed', result: 'Successful', clears: true }],
  'drill.failed': [{ event: 'host_start_failed', result: 'Failed', clears: false }],
  'drill.completed': [{ event: 'host_start_failed', result: 'Successful', clears: true }],
  'failover.failed': [{ event: 'host_start_failed', result: 'Failed', clears: false }],
  'failover.completed': [{ event: 'host_start_failed', result: 'Successful', clears: true }],
  // a recovered host's VM that went down on its own
  'instance.lost': [{ event: 'host_start_failed', result: 'Failed', clears: false }],
  'verify.failed': [{ event: 'verify_failed', result: 'Failed', clears: false }],
  'verify.succeeded': [{ event: 'verify_failed', result: 'Successful', clears: true }],
  'store.damaged': [{ event: 'verify_failed', result: 'Failed', clears: false }],
  'store.healed': [{ event: 'verify_failed', result: 'Successful', clears: true }],
  'store.full': [{ event: 'store_full', result: 'Failed', clears: false }],
  'store.space': [{ event: 'store_full', result: 'Successful', clears: true }],
  'store.permissions': [{ event: 'data_exposed', result: 'Failed', clears: false }],
  // a point's change far outside its volume's baseline (ransomware-like); an operator resolves it
  'change.suspicious': [{ event: 'suspicious_change', result: 'Failed', clears: false }],
  'bitmap.invalidated': [{ event: 'bitmap_invalidated', result: 'Successful', clears: false }],
  // a copy run that failed, or a copy behind its RPO; a run that succeeds ends both
  'copy.failed': [{ event: 'copy_failed', result: 'Failed', clears: false }],
  'copy.behind': [{ event: 'copy_failed', result: 'Behind', clears: false }],
  'copy.finished': [{ event: 'copy_failed', result: 'Successful', clears: true }],
};

/** What a hub event may carry that changes its alarm inputs. */
export interface AlarmEventData {
  closeCode?: number;
  /** finished drills and failovers: the run's verdict and every host it recovered */
  verdict?: string | null;
  hosts?: string[];
  /** copy runs: the copy target, each with an alarm of its own */
  copy?: string;
}

const RUN_DONE = new Set(['drill.completed', 'failover.completed']);

/**
 * The alarm inputs of one hub event. A disconnect the agent asked for (it stopped cleanly,
 * close code 1000/1001) has result Successful; a lost link (killed agent, network) Failed.
 * A run that completed with a fail verdict (a host that did not boot or failed its checks)
 * is a Failed start of each of its hosts, and does not end the condition; a pass ends it.
 */
export function alarmInputs(kind: string, host: string | null, message: string, data: AlarmEventData = {}): AlarmInputEvent[] {
  const hosts = RUN_DONE.has(kind) && data.hosts?.length ? data.hosts : [host];
  return (MAP[kind] ?? []).flatMap((m) => hosts.map((h) => {
    let result = m.result;
    let clears = m.clears;
    if (kind === 'host.disconnected' && (data.closeCode === 1000 || data.closeCode === 1001)) result = 'Successful';
    if (RUN_DONE.has(kind) && data.verdict === 'fail') [result, clears] = ['Failed', false];
    return { event: m.event, host: h, ...(data.copy ? { subject: data.copy } : {}), result, message, clears };
  }));
}
