import { describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

/**
 * Malformed configs: each row is a file (as lines) and the exact one-line message
 * parseConfig must throw for it, `file:line:col: problem (expected)`.
 */
interface MalformedCase {
  name: string;
  yaml: string[];
  message: string;
}

const cases: MalformedCase[] = [
  {
    name: 'a YAML syntax error',
    yaml: ['hub: ['],
    message: 'drc.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'a YAML indentation error',
    yaml: ['hub:', '  name: a', '   data: b'],
    message: 'drc.yaml:2:9: invalid YAML: Nested mappings are not allowed in compact mappings',
  },
  {
    name: 'a duplicate YAML key',
    yaml: ['a: 1', 'a: 2'],
    message: 'drc.yaml:2:1: invalid YAML: Map keys must be unique',
  },
  {
    name: 'more than one YAML document',
    yaml: ['hub:', '  name: a', '---', 'hub:', '  name: b'],
    message: 'drc.yaml:3:1: invalid YAML: the file contains more than one YAML document',
  },
  {
    name: 'a document that is not a mapping',
    yaml: ['42'],
    message: 'drc.yaml:1:1: the document is a number (expected a mapping)',
  },
  {
    name: 'an unknown top-level key',
    yaml: ['hub: {}', 'hots: []'],
    message: 'drc.yaml:2:1: unknown key "hots" at top level (expected one of: hub, tiers, hosts, agent, schedules, retention, alarms, channels, targets, checks, plans, recovery, store, copies, maintenance, inspection)',
  },
  {
    name: 'an unknown key in hub',
    yaml: ['hub:', '  x: 1'],
    message: 'drc.yaml:2:3: unknown key "x" in hub (expected one of: name, data, listen, tls, api_token, socket_role, heartbeat_timeout)',
  },
  {
    name: 'an unknown nested key in hub.listen',
    yaml: ['hub:', '  listen:', '    agent: 127.0.0.1:7701'],
    message: 'drc.yaml:3:5: unknown key "agent" in hub.listen (expected one of: agents, api_tcp, http)',
  },
  {
    name: 'an unknown key in a host',
    yaml: ['hosts:', '  - name: web-01', '    volume: []'],
    message: 'drc.yaml:3:5: unknown key "volume" in hosts[0] (expected one of: name, tags, tier, volumes, continuous, continuous_rpo, min_interval)',
  },
  {
    name: 'a list where a string belongs',
    yaml: ['hub:', '  name: [dr, hub]'],
    message: 'drc.yaml:2:9: hub.name is a list (expected a string)',
  },
  {
    name: 'a mapping where a list belongs',
    yaml: ['hosts: {name: web-01}'],
    message: 'drc.yaml:1:8: hosts is a mapping (expected a list)',
  },
  {
    name: 'a string where a mapping belongs',
    yaml: ['hub: drc-hub-1'],
    message: 'drc.yaml:1:6: hub is a string (expected a mapping)',
  },
  {
    name: 'a string where a list item mapping belongs',
    yaml: ['hosts:', '  - web-01'],
    message: 'drc.yaml:2:5: hosts[0] is a string (expected a mapping)',
  },
  {
    name: 'a string where a list belongs',
    yaml: ['hosts:', '  - name: web-01', '    tags: prod'],
    message: 'drc.yaml:3:11: hosts[0].tags is a string (expected a list)',
  },
  {
    name: 'a number where a list belongs',
    yaml: ['hosts:', '  - name: web-01', '  - name: web-02', '    volumes: 3'],
    message: 'drc.yaml:4:14: hosts[1].volumes is a number (expected a list)',
  },
  {
    name: 'an empty string',
    yaml: ['hub:', '  name: ""'],
    message: 'drc.yaml:2:9: hub.name is an empty string (expected a non-empty string)',
  },
  {
    name: 'a duplicate host',
    yaml: ['hosts:', '  - name: web-01', '  - name: web-02', '  - name: web-01'],
    message: 'drc.yaml:4:11: hosts[2].name "web-01" is already used by hosts[0] (expected unique host names)',
  },
  {
    name: 'a duplicate volume in a host',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    volumes:',
      '      - { name: root, path: /dev/vda }',
      '      - { name: root, path: /dev/vdb }',
    ],
    message: 'drc.yaml:5:17: hosts[0].volumes[1].name "root" is already used by hosts[0].volumes[0] (expected unique volume names)',
  },
  {
    name: 'a host name with a space',
    yaml: ['hosts:', '  - name: "web 01"'],
    message: 'drc.yaml:2:11: hosts[0].name "web 01" is not a valid name (expected 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit)',
  },
  {
    name: 'a host name starting with a dash',
    yaml: ['hosts:', '  - name: -web'],
    message: 'drc.yaml:2:11: hosts[0].name "-web" is not a valid name (expected 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit)',
  },
  {
    name: 'a host without a name',
    yaml: ['hosts:', '  - tags: [prod]'],
    message: 'drc.yaml:2:5: hosts[0] is missing required key "name" (expected a string)',
  },
  {
    name: 'an unknown tier',
    yaml: [
      'tiers:',
      '  - { name: gold, rpo: 15m, rto: 1h }',
      '  - { name: silver, rpo: 1h, rto: 4h }',
      'hosts:',
      '  - name: web-01',
      '    tier: gold',
      '  - name: web-02',
      '    tier: platinum',
    ],
    message: 'drc.yaml:8:11: hosts[1].tier "platinum" is not a defined tier (one of: gold, silver)',
  },
  {
    name: 'a tier reference with no tiers defined',
    yaml: ['hosts:', '  - name: web-01', '    tier: gold'],
    message: 'drc.yaml:3:11: hosts[0].tier "gold" is not a defined tier (no tiers are defined)',
  },
  {
    name: 'a bad duration',
    yaml: ['tiers:', '  - { name: gold, rpo: 15 minutes, rto: 1h }'],
    message: 'drc.yaml:2:24: tiers[0].rpo "15 minutes" is not a duration (expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds)',
  },
  {
    name: 'a zero rpo',
    yaml: ['tiers:', '  - { name: gold, rpo: 0s, rto: 1h }'],
    message: 'drc.yaml:2:24: tiers[0].rpo is zero (expected a duration greater than zero)',
  },
  {
    name: 'a tier without rpo',
    yaml: ['tiers:', '  - { name: gold, rto: 1h }'],
    message: 'drc.yaml:2:5: tiers[0] is missing required key "rpo" (expected a duration)',
  },
  {
    name: 'a block size that is not a power of two',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    volumes:',
      '      - { name: root, path: /dev/vda, block_size: 48KiB }',
    ],
    message: 'drc.yaml:4:51: hosts[0].volumes[0].block_size "48KiB" is not a power of two (expected a power of two from 4KiB to 4MiB)',
  },
  {
    name: 'a block size that is too small',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    volumes:',
      '      - { name: root, path: /dev/vda, block_size: 1KiB }',
    ],
    message: 'drc.yaml:4:51: hosts[0].volumes[0].block_size "1KiB" is too small (expected a power of two from 4KiB to 4MiB)',
  },
  {
    name: 'a block size that is too large',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    volumes:',
      '      - { name: root, path: /dev/vda, block_size: 8MiB }',
    ],
    message: 'drc.yaml:4:51: hosts[0].volumes[0].block_size "8MiB" is too large (expected a power of two from 4KiB to 4MiB)',
  },
  {
    name: 'a block size with a decimal unit',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    volumes:',
      '      - { name: root, path: /dev/vda, block_size: 64KB }',
    ],
    message: 'drc.yaml:4:51: hosts[0].volumes[0].block_size "64KB" is not a size (expected a size such as 512, 64KiB, 4MiB, 1GiB; K, M, G mean KiB, MiB, GiB)',
  },
  {
    name: 'a listen address without a port',
    yaml: ['hub:', '  listen:', '    agents: localhost'],
    message: 'drc.yaml:3:13: hub.listen.agents "localhost" is not a HOST:PORT address (expected HOST:PORT such as 127.0.0.1:7701 or [::1]:7701)',
  },
  {
    name: 'a listen port out of range',
    yaml: ['hub:', '  listen:', '    http: 127.0.0.1:70000'],
    message: 'drc.yaml:3:11: hub.listen.http "127.0.0.1:70000" has port 70000 out of range (expected a port between 0 and 65535)',
  },
  {
    name: 'api_tcp without api_token',
    yaml: ['hub:', '  name: dr-hub-1', '  listen:', '    api_tcp: 127.0.0.1:7702'],
    message: 'drc.yaml:2:3: hub is missing required key "api_token" (expected a token for the operator API when listen.api_tcp is set)',
  },
  {
    name: 'tls with only a cert',
    yaml: ['hub:', '  tls:', '    cert: hub.crt'],
    message: 'drc.yaml:3:5: hub.tls is missing required key "key" (expected cert and key together)',
  },
  {
    name: 'an agent with both token and token_file',
    yaml: ['agent:', '  token: abc', '  token_file: ./token'],
    message: 'drc.yaml:3:15: agent.token_file is set together with token (expected one of token and token_file, not both)',
  },
  {
    name: 'an agent hub URL with an https scheme',
    yaml: ['agent:', '  hub: https://hub.example.com:7701'],
    message: 'drc.yaml:2:8: agent.hub "https://hub.example.com:7701" has scheme "https" (expected a URL starting with ws:// or wss://)',
  },
  {
    name: 'an agent hub that is not a URL',
    yaml: ['agent:', '  hub: not a url'],
    message: 'drc.yaml:2:8: agent.hub "not a url" is not a URL (expected a URL starting with ws:// or wss://)',
  },
  {
    name: 'an agent heartbeat of zero',
    yaml: ['agent:', '  heartbeat: 0'],
    message: 'drc.yaml:2:14: agent.heartbeat is zero (expected a duration greater than zero)',
  },
  {
    name: 'an unknown tracker',
    yaml: ['agent:', '  volumes:', '    - { name: root, path: /dev/vda, tracker: cbt }'],
    message: 'drc.yaml:3:46: agent.volumes[0].tracker "cbt" is not a valid tracker (expected one of: scan, qemu-dirty-bitmap)',
  },
  {
    name: 'a qmp socket on a scan volume',
    yaml: ['agent:', '  volumes:', '    - { name: root, path: /dev/vda, qmp: /run/q.sock }'],
    message: 'drc.yaml:3:42: agent.volumes[0].qmp does not apply to tracker "scan" (expected only with tracker: qemu-dirty-bitmap)',
  },
  {
    name: 'a cron with four fields',
    yaml: ['schedules:', '  - name: nightly', '    cron: "0 2 * *"', '    targets: ["*"]'],
    message: 'drc.yaml:3:11: schedules[0].cron "0 2 * *" has 4 fields (expected 5 fields: minute hour day-of-month month day-of-week)',
  },
  {
    name: 'a cron field with a bad character',
    yaml: ['schedules:', '  - name: nightly', '    cron: "0 2 * * mon?"', '    targets: ["*"]'],
    message: 'drc.yaml:3:11: schedules[0].cron day-of-week field "mon?" is not valid (expected digits, month or weekday names, and , - * /)',
  },
  {
    name: 'a cron field with an unknown name',
    yaml: ['schedules:', '  - name: nightly', '    cron: "0 2 * * funday"', '    targets: ["*"]'],
    message: 'drc.yaml:3:11: schedules[0].cron day-of-week field "funday" is not valid (expected digits, month or weekday names, and , - * /)',
  },
  {
    name: 'an unknown time zone',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    timezone: Mars/Olympus_Mons',
      '    targets: ["*"]',
    ],
    message: 'drc.yaml:4:15: schedules[0].timezone "Mars/Olympus_Mons" is not a known time zone (expected an IANA time zone such as UTC or Europe/Berlin)',
  },
  {
    name: 'a window with a one-digit hour',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    window: "22:00-6:00"',
    ],
    message: 'drc.yaml:5:13: schedules[0].window "22:00-6:00" is not a time window (expected HH:MM-HH:MM such as 22:00-06:00)',
  },
  {
    name: 'a window with hour 25',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    window: "25:00-06:00"',
    ],
    message: 'drc.yaml:5:13: schedules[0].window "25:00-06:00" is not a time window (expected HH:MM-HH:MM such as 22:00-06:00)',
  },
  {
    name: 'an empty window',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    window: "06:00-06:00"',
    ],
    message: 'drc.yaml:5:13: schedules[0].window "06:00-06:00" starts and ends at the same time (expected HH:MM-HH:MM such as 22:00-06:00)',
  },
  {
    name: 'a priority above 100',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    priority: 101',
    ],
    message: 'drc.yaml:5:15: schedules[0].priority 101 is out of range (expected an integer from 0 to 100)',
  },
  {
    name: 'a fractional priority',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    priority: 2.5',
    ],
    message: 'drc.yaml:5:15: schedules[0].priority is not an integer (expected an integer from 0 to 100)',
  },
  {
    name: 'a duplicate schedule',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '  - name: nightly',
      '    cron: "0 3 * * *"',
      '    targets: ["*"]',
    ],
    message: 'drc.yaml:5:11: schedules[1].name "nightly" is already used by schedules[0] (expected unique schedule names)',
  },
  {
    name: 'a schedule without cron',
    yaml: ['schedules:', '  - name: nightly', '    targets: ["*"]'],
    message: 'drc.yaml:2:5: schedules[0] is missing required key "cron" (expected a cron expression)',
  },
  {
    name: 'a schedule with empty targets',
    yaml: ['schedules:', '  - name: n', '    cron: "0 2 * * *"', '    targets: []'],
    message: 'drc.yaml:4:14: schedules[0].targets is empty (expected a non-empty list)',
  },
  {
    name: 'an unknown backup type',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    type: differential',
    ],
    message: 'drc.yaml:5:11: schedules[0].type "differential" is not a valid backup type (expected one of: full, incremental, verify)',
  },
  {
    name: 'a yes/no boolean',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    stop_at_window_end: yes',
    ],
    message: 'drc.yaml:5:25: schedules[0].stop_at_window_end is a string (expected true or false)',
  },
  {
    name: 'a negative retention count',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    retention: { daily: -1 }',
    ],
    message: 'drc.yaml:5:25: schedules[0].retention.daily -1 is out of range (expected an integer >= 0)',
  },
  {
    name: 'consolidate_after in a schedule\'s retention',
    yaml: [
      'schedules:',
      '  - name: nightly',
      '    cron: "0 2 * * *"',
      '    targets: ["*"]',
      '    retention: { daily: 7, consolidate_after: 3 }',
    ],
    message: 'drc.yaml:5:28: unknown key "consolidate_after" in schedules[0].retention (expected one of: keep_last, daily, weekly, monthly, yearly)',
  },
  {
    name: 'a retention that keeps nothing',
    yaml: ['retention: { keep_last: 0 }'],
    message: 'drc.yaml:1:12: retention keeps no recovery points (expected at least one of keep_last, daily, weekly, monthly, yearly above 0)',
  },
  {
    name: 'consolidate_after of zero',
    yaml: ['retention: { daily: 7, consolidate_after: 0 }'],
    message: 'drc.yaml:1:43: retention.consolidate_after 0 is out of range (expected an integer >= 1)',
  },
  {
    name: 'an alarm with both metric and event',
    yaml: [
      'alarms:',
      '  - name: cpu-high',
      '    metric: cpu',
      '    event: sync_failed',
      '    level: warning',
    ],
    message: 'drc.yaml:4:12: alarms[0].event is set together with metric (expected exactly one of metric and event)',
  },
  {
    name: 'an alarm with neither metric nor event',
    yaml: ['alarms:', '  - name: cpu-high', '    level: warning'],
    message: 'drc.yaml:2:5: alarms[0] is missing required key "metric" or "event" (expected exactly one of them)',
  },
  {
    name: 'a bad alarm level',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: cpu', '    level: loud'],
    message: 'drc.yaml:4:12: alarms[0].level "loud" is not a valid level (expected one of: info, warning, critical, urgent)',
  },
  {
    name: 'an alarm without a level',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: cpu'],
    message: 'drc.yaml:2:5: alarms[0] is missing required key "level" (expected one of: info, warning, critical, urgent)',
  },
  {
    name: 'an unknown metric',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: gpu', '    level: info'],
    message: 'drc.yaml:3:13: alarms[0].metric "gpu" is not a valid metric (expected one of: cpu, memory, disk, process, link_latency, rpo, rpo_forecast, failure_rate, consecutive_failures, dead_man, token_expiry, cert_expiry)',
  },
  {
    name: 'an unknown operator',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: cpu', '    op: "=>"', '    level: info'],
    message: 'drc.yaml:4:9: alarms[0].op "=>" is not a valid operator (expected one of: >, >=, <, <=, ==, !=)',
  },
  {
    name: 'a threshold that is not a number',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: cpu', '    threshold: high', '    level: info'],
    message: 'drc.yaml:4:16: alarms[0].threshold is a string (expected a number)',
  },
  {
    name: 'a threshold on an event rule',
    yaml: [
      'alarms:',
      '  - name: lost',
      '    event: host_disconnected',
      '    threshold: 1',
      '    level: info',
    ],
    message: 'drc.yaml:4:16: alarms[0].threshold does not apply to event rules (expected only with metric)',
  },
  {
    name: 'a process rule without a process',
    yaml: ['alarms:', '  - name: nginx', '    metric: process', '    level: info'],
    message: 'drc.yaml:2:5: alarms[0] is missing required key "process" (expected the process name for metric: process)',
  },
  {
    name: 'a duplicate alarm',
    yaml: [
      'alarms:',
      '  - { name: a, metric: cpu, level: info }',
      '  - { name: a, metric: disk, level: info }',
    ],
    message: 'drc.yaml:3:13: alarms[1].name "a" is already used by alarms[0] (expected unique alarm names)',
  },
  {
    name: 'an unknown channel in an alarm',
    yaml: [
      'channels:',
      '  - { name: ops-mail, type: email, smtp: { host: 127.0.0.1 }, from: drc@example.com, to: [ops@example.com] }',
      'alarms:',
      '  - name: cpu-high',
      '    metric: cpu',
      '    level: warning',
      '    channels: [ops-mail, pager]',
    ],
    message: 'drc.yaml:7:26: alarms[0].channels[1] "pager" is not a defined channel (one of: ops-mail)',
  },
  {
    name: 'a channel reference with no channels defined',
    yaml: ['alarms:', '  - name: cpu-high', '    metric: cpu', '    level: warning', '    channels: [pager]'],
    message: 'drc.yaml:5:16: alarms[0].channels[0] "pager" is not a defined channel (no channels are defined)',
  },
  {
    name: 'an email channel without from',
    yaml: [
      'channels:',
      '  - name: ops-mail',
      '    type: email',
      '    smtp: { host: 127.0.0.1 }',
      '    to: [ops@example.com]',
    ],
    message: 'drc.yaml:2:5: channels[0] is missing required key "from" (expected a sender address for email channels)',
  },
  {
    name: 'an email channel without smtp',
    yaml: [
      'channels:',
      '  - name: ops-mail',
      '    type: email',
      '    from: drc@example.com',
      '    to: [ops@example.com]',
    ],
    message: 'drc.yaml:2:5: channels[0] is missing required key "smtp" (expected an smtp mapping with at least host for email channels)',
  },
  {
    name: 'an smtp user without pass',
    yaml: [
      'channels:',
      '  - name: ops-mail',
      '    type: email',
      '    smtp: { host: 127.0.0.1, user: drc }',
      '    from: drc@example.com',
      '    to: [ops@example.com]',
    ],
    message: 'drc.yaml:4:11: channels[0].smtp is missing required key "pass" (expected user and pass together)',
  },
  {
    name: 'a from that is not an address',
    yaml: [
      'channels:',
      '  - name: ops-mail',
      '    type: email',
      '    smtp: { host: 127.0.0.1 }',
      '    from: drc',
      '    to: [ops@example.com]',
    ],
    message: 'drc.yaml:5:11: channels[0].from "drc" is not a valid email address (expected an address such as drc@example.com)',
  },
  {
    name: 'a webhook without url',
    yaml: ['channels:', '  - name: hook', '    type: webhook'],
    message: 'drc.yaml:2:5: channels[0] is missing required key "url" (expected an http:// or https:// URL for webhook channels)',
  },
  {
    name: 'a webhook url with an ftp scheme',
    yaml: ['channels:', '  - name: hook', '    type: webhook', '    url: ftp://example.com/x'],
    message: 'drc.yaml:4:10: channels[0].url "ftp://example.com/x" has scheme "ftp" (expected a URL starting with http:// or https://)',
  },
  {
    name: 'an unknown channel type',
    yaml: ['channels:', '  - name: hook', '    type: teams', '    url: https://example.com/x'],
    message: 'drc.yaml:3:11: channels[0].type "teams" is not a valid channel type (expected one of: webhook, slack, dingtalk, wecom, alertmanager, email, sms)',
  },
  {
    name: 'an sms-only key on a webhook',
    yaml: [
      'channels:',
      '  - name: hook',
      '    type: webhook',
      '    url: https://example.com/x',
      '    method: GET',
    ],
    message: 'drc.yaml:5:13: channels[0].method does not apply to webhook channels (expected only url besides name, type, levels, hosts)',
  },
  {
    name: 'an sms channel without recipients',
    yaml: ['channels:', '  - name: pager', '    type: sms', '    url: https://sms.example.com/send'],
    message: 'drc.yaml:2:5: channels[0] is missing required key "to" (expected a non-empty list of recipients for sms channels)',
  },
  {
    name: 'an unknown routing level',
    yaml: [
      'channels:',
      '  - name: hook',
      '    type: slack',
      '    url: https://example.com/x',
      '    levels: [page]',
    ],
    message: 'drc.yaml:5:14: channels[0].levels[0] "page" is not a valid level (expected one of: info, warning, critical, urgent)',
  },
  {
    name: 'a directory target without path',
    yaml: ['targets:', '  - name: dr-dir', '    type: directory'],
    message: 'drc.yaml:2:5: targets[0] is missing required key "path" (expected a directory for directory targets)',
  },
  {
    name: 'an unknown image format',
    yaml: ['targets:', '  - name: dr-dir', '    type: directory', '    path: /srv/dr', '    format: iso'],
    message: 'drc.yaml:5:13: targets[0].format "iso" is not a valid image format (expected one of: raw, qcow2, vmdk, vhdx)',
  },
  {
    name: 'a command on a directory target',
    yaml: ['targets:', '  - name: dr-dir', '    type: directory', '    path: /srv/dr', '    command: echo'],
    message: 'drc.yaml:5:14: targets[0].command does not apply to directory targets (expected only with type: command)',
  },
  {
    name: 'a tcp check address without a port',
    yaml: ['checks:', '  - name: port', '    type: tcp', '    address: 10.0.0.5'],
    message: 'drc.yaml:4:14: checks[0].address "10.0.0.5" is not a HOST:PORT address (expected HOST:PORT such as 127.0.0.1:7701 or [::1]:7701)',
  },
  {
    name: 'a tcp check to port 0',
    yaml: ['checks:', '  - name: port', '    type: tcp', '    address: 10.0.0.5:0'],
    message: 'drc.yaml:4:14: checks[0].address "10.0.0.5:0" has port 0 out of range (expected a port between 1 and 65535)',
  },
  {
    name: 'an http status out of range',
    yaml: [
      'checks:',
      '  - name: web',
      '    type: http',
      '    url: http://10.0.0.6/',
      '    expect_status: 99',
    ],
    message: 'drc.yaml:5:20: checks[0].expect_status 99 is out of range (expected an integer from 100 to 599)',
  },
  {
    name: 'a command check without command',
    yaml: ['checks:', '  - name: fsck', '    type: command'],
    message: 'drc.yaml:2:5: checks[0] is missing required key "command" (expected a shell command for command checks)',
  },
  {
    name: 'a url on a digest check',
    yaml: ['checks:', '  - name: root-fs', '    type: digest', '    url: http://x/'],
    message: 'drc.yaml:4:10: checks[0].url does not apply to digest checks (expected only name, type, timeout, hosts)',
  },
  {
    name: 'a plan naming an unknown check',
    yaml: [
      'checks:',
      '  - { name: root-fs, type: digest }',
      'plans:',
      '  - name: web-stack',
      '    groups:',
      '      - hosts: [db-01]',
      '    checks: [root-fs, web-health]',
    ],
    message: 'drc.yaml:7:23: plans[0].checks[1] "web-health" is not a defined check (one of: root-fs)',
  },
  {
    name: 'a plan with no groups',
    yaml: ['plans:', '  - name: web-stack', '    groups: []'],
    message: 'drc.yaml:3:13: plans[0].groups is empty (expected a non-empty list)',
  },
  {
    name: 'a plan group without hosts',
    yaml: ['plans:', '  - name: web-stack', '    groups:', '      - wait: 30s'],
    message: 'drc.yaml:4:9: plans[0].groups[0] is missing required key "hosts" (expected a non-empty list of host names)',
  },
  {
    name: 'a plan group with a bad wait',
    yaml: ['plans:', '  - name: web-stack', '    groups:', '      - { hosts: [db-01], wait: soon }'],
    message: 'drc.yaml:4:33: plans[0].groups[0].wait "soon" is not a duration (expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds)',
  },
  {
    name: 'the earliest of two errors (missing key before a bad value below it)',
    yaml: ['hosts:', '  - tags: 5'],
    message: 'drc.yaml:2:5: hosts[0] is missing required key "name" (expected a string)',
  },
  {
    name: 'a dangling reference before a later structural error',
    yaml: [
      'hosts:',
      '  - name: web-01',
      '    tier: gold',
      'tiers:',
      '  - { name: silver, rpo: 1x, rto: 1h }',
    ],
    message: 'drc.yaml:3:11: hosts[0].tier "gold" is not a defined tier (one of: silver)',
  },
  {
    name: 'a reference to a defined tier whose other keys are wrong',
    yaml: ['hosts:', '  - name: web-01', '    tier: gold', 'tiers:', '  - { name: gold, rpo: 1x, rto: 1h }'],
    message: 'drc.yaml:5:24: tiers[0].rpo "1x" is not a duration (expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds)',
  },
];

function errorOf(yaml: string[]): ConfigError {
  try {
    parseConfig(yaml.map((line) => `${line}\n`).join(''), 'drc.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config parsed');
}

describe('parseConfig rejects a malformed config', () => {
  test.each(cases)('$name', ({ yaml, message }) => {
    expect(errorOf(yaml).message).toBe(message);
  });
});

describe('ConfigError', () => {
  test('carries the file, line and column it reports', () => {
    const err = errorOf(['hosts:', '  - name: web-01', '    tier: gold']);
    expect([err.file, err.line, err.col]).toEqual(['drc.yaml', 3, 11]);
  });

  test('renders every case as exactly one line', () => {
    for (const { yaml } of cases) expect(errorOf(yaml).message).not.toMatch(/[\r\n]/);
  });

  test('is an Error named ConfigError', () => {
    const err = errorOf(['nope: 1']);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConfigError');
  });
});
