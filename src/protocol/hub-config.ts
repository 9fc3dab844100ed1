// The hub's configuration on the wire: what a config reload did, and the daily inspection
// sent through channels.
import type { AlarmDeliveryView } from './operator.js';

/** The answer to `config.reload` (and what SIGHUP logs). */
export interface ConfigReloadView {
  /** the file read again */
  file: string;
  time: string;
  /** sections whose new values are in force now (`schedules`, `channels`, `hub.api_token` …) */
  applied: string[];
  /** sections that changed but take effect only when the hub restarts (`hub.listen.agents`, `store` …) */
  restartNeeded: string[];
}

/** The answer to `inspection.send`: the report's findings and one delivery per channel. */
export interface InspectionSendView {
  subject: string;
  findings: string[];
  deliveries: AlarmDeliveryView[];
}
