import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  ConfigError,
  emptyConfig,
  loadConfig,
  parseConfig,
  resolveConfigPath,
  type DrcConfig,
} from '../../../src/config/index.js';

const EXAMPLE = fileURLToPath(new URL('../../../config/drc.yaml', import.meta.url));

const FULL = `
hub:
  name: dr-hub-1
  data: data
  listen:
    agents: 0.0.0.0:0
    api_tcp: "[::1]:7702"
    http: 127.0.0.1:7703
  tls: { cert: tls/hub.crt, key: /etc/ssl/hub.key }
  api_token: s3cret
tiers:
  - { name: gold, rpo: 15m, rto: 1h }
  - { name: silver, rpo: 2h30m, rto: 1d }
hosts:
  - name: web-01
    tags: [prod, web]
    tier: gold
    volumes:
      - { name: root, path: /dev/vda, block_size: 64KiB }
      - { name: data, path: /dev/vdb, block_size: 4M }
      - { name: swap, path: /dev/vdc }
  - name: "01"
agent:
  hub: wss://hub.example.com:7701
  host: web-01
  token_file: ./agent.token
  data: ~/agent
  ca: ../ca.crt
  heartbeat: 10
  watch: 0
  volumes:
    - { name: root, path: disk.img, block_size: 1MiB }
    - { name: vm, path: /var/lib/vm.qcow2, tracker: qemu-dirty-bitmap, qmp: vm.qmp, nbd: "127.0.0.1:10809" }
schedules:
  - name: nightly-production
    cron: "0 2 * * mon-fri"
    timezone: America/New_York
    priority: 10
    targets: ["prod-*", "tag:db"]
    type: full
    window: "22:00-06:00"
    stop_at_window_end: true
    retention: { keep_last: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2 }
  - name: hourly
    cron: "*/15 * * * *"
    targets: ["*"]
retention: { daily: 7, consolidate_after: 30 }
alarms:
  - name: cpu-high
    metric: cpu
    op: ">="
    threshold: 90.5
    for: 5m
    level: warning
    hosts: ["prod-*"]
    channels: [ops-mail]
  - name: nginx
    metric: process
    process: nginx
    level: critical
  - name: lost
    event: host_disconnected
    result: Failed
    window: 1h
    level: urgent
channels:
  - name: ops-mail
    type: email
    smtp: { host: 127.0.0.1, port: 2525, user: u, pass: p }
    from: drc@example.com
    to: [ops@example.com]
    levels: [critical, urgent]
    hosts: ["prod-*"]
  - { name: pager, type: sms, url: "https://sms.example.com/send", to: [+15551234567] }
  - { name: hook, type: alertmanager, url: "http://127.0.0.1:9093/api/v2/alerts" }
targets:
  - { name: dr-dir, type: directory, path: restore, format: qcow2, purpose: drill }
  - { name: san, type: command, command: "attach $DRC_IMAGE" }
checks:
  - { name: root-fs, type: digest }
  - { name: db-port, type: tcp, address: "10.0.0.5:5432", timeout: 10s, hosts: [db-01] }
  - { name: web, type: http, url: "http://10.0.0.6/healthz", expect_status: 204 }
  - { name: fsck, type: command, command: "fsck -n x" }
plans:
  - name: web-stack
    groups:
      - { hosts: [db-01], wait: 30s }
      - { hosts: [web-01, web-02] }
    checks: [root-fs, web]
recovery:
  drill_ttl: 12h
  switch: { command: "switch-lb web", timeout: 2m }
`;

const expected: DrcConfig = {
  source: '/etc/drc/drc.yaml',
  hub: {
    name: 'dr-hub-1',
    data: '/etc/drc/data',
    listen: {
      agents: { host: '0.0.0.0', port: 0 },
      apiTcp: { host: '::1', port: 7702 },
      http: { host: '127.0.0.1', port: 7703 },
    },
    tls: { cert: '/etc/drc/tls/hub.crt', key: '/etc/ssl/hub.key' },
    apiToken: 's3cret',
    socketRole: 'admin',
    heartbeatTimeout: 10,
  },
  tiers: [
    { name: 'gold', rpo: 900, rto: 3600 },
    { name: 'silver', rpo: 9000, rto: 86400 },
  ],
  hosts: [
    {
      name: 'web-01',
      tags: ['prod', 'web'],
      tier: 'gold',
      volumes: [
        { name: 'root', path: '/dev/vda', blockSize: 65536 },
        { name: 'data', path: '/dev/vdb', blockSize: 4194304 },
        { name: 'swap', path: '/dev/vdc', blockSize: 65536 },
      ],
    },
    { name: '01', tags: [], tier: null, volumes: [] },
  ],
  agent: {
    hub: 'wss://hub.example.com:7701',
    host: 'web-01',
    token: null,
    tokenFile: '/etc/drc/agent.token',
    data: join(homedir(), 'agent'),
    ca: '/etc/ca.crt',
    heartbeat: 10,
    watch: 0,
    volumes: [
      { name: 'root', path: '/etc/drc/disk.img', blockSize: 1048576, tracker: 'scan', qmp: null, nbd: null },
      {
        name: 'vm',
        path: '/var/lib/vm.qcow2',
        blockSize: 65536,
        tracker: 'qemu-dirty-bitmap',
        qmp: '/etc/drc/vm.qmp',
        nbd: '127.0.0.1:10809',
      },
    ],
  },
  schedules: [
    {
      name: 'nightly-production',
      cron: '0 2 * * mon-fri',
      timezone: 'America/New_York',
      priority: 10,
      targets: ['prod-*', 'tag:db'],
      type: 'full',
      window: { text: '22:00-06:00', startMinute: 1320, endMinute: 360 },
      stopAtWindowEnd: true,
      retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2, consolidateAfter: null },
    },
    {
      name: 'hourly',
      cron: '*/15 * * * *',
      timezone: 'UTC',
      priority: 5,
      targets: ['*'],
      type: 'incremental',
      window: null,
      stopAtWindowEnd: false,
      retention: null,
    },
  ],
  retention: { keepLast: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0, consolidateAfter: 30 },
  alarms: [
    {
      kind: 'metric',
      name: 'cpu-high',
      metric: 'cpu',
      op: '>=',
      threshold: 90.5,
      for: 300,
      level: 'warning',
      window: null,
      hosts: ['prod-*'],
      result: null,
      process: null,
      channels: ['ops-mail'],
    },
    {
      kind: 'metric',
      name: 'nginx',
      metric: 'process',
      op: '>',
      threshold: null,
      for: 0,
      level: 'critical',
      window: null,
      hosts: [],
      result: null,
      process: 'nginx',
      channels: [],
    },
    {
      kind: 'event',
      name: 'lost',
      event: 'host_disconnected',
      for: 0,
      level: 'urgent',
      window: 3600,
      hosts: [],
      result: 'Failed',
      channels: [],
    },
  ],
  channels: [
    {
      name: 'ops-mail',
      type: 'email',
      smtp: { host: '127.0.0.1', port: 2525, secure: false, user: 'u', pass: 'p' },
      from: 'drc@example.com',
      to: ['ops@example.com'],
      levels: ['critical', 'urgent'],
      hosts: ['prod-*'],
    },
    {
      name: 'pager',
      type: 'sms',
      url: 'https://sms.example.com/send',
      method: 'POST',
      body: null,
      to: ['+15551234567'],
      levels: [],
      hosts: [],
    },
    { name: 'hook', type: 'alertmanager', url: 'http://127.0.0.1:9093/api/v2/alerts', levels: [], hosts: [] },
  ],
  targets: [
    { name: 'dr-dir', type: 'directory', path: '/etc/drc/restore', format: 'qcow2', purpose: 'drill' },
    { name: 'san', type: 'command', command: 'attach $DRC_IMAGE', format: 'raw', purpose: 'both' },
  ],
  checks: [
    { name: 'root-fs', type: 'digest', timeout: 30, hosts: [] },
    { name: 'db-port', type: 'tcp', address: { host: '10.0.0.5', port: 5432 }, timeout: 10, hosts: ['db-01'] },
    { name: 'web', type: 'http', url: 'http://10.0.0.6/healthz', expectStatus: 204, timeout: 30, hosts: [] },
    { name: 'fsck', type: 'command', command: 'fsck -n x', timeout: 30, hosts: [] },
  ],
  plans: [
    {
      name: 'web-stack',
      groups: [
        { hosts: ['db-01'], wait: 30 },
        { hosts: ['web-01', 'web-02'], wait: 0 },
      ],
      checks: ['root-fs', 'web'],
    },
  ],
  recovery: { drillTtl: 43200, switch: { type: 'command', command: 'switch-lb web', timeout: 120 } },
  store: { type: 'local', path: null, encryption: null, cacheBytes: 4 * 1024 * 1024 * 1024 },
  copies: [],
  maintenance: emptyConfig().maintenance,
};

describe('parseConfig', () => {
  test('reads a full config into typed values with seconds, bytes and absolute paths', () => {
    expect(parseConfig(FULL, '/etc/drc/drc.yaml')).toEqual(expected);
  });

  test('accepts an empty file and {} as the defaults', () => {
    const defaults = { ...emptyConfig(), source: resolve('drc.yaml') };
    expect(parseConfig('', 'drc.yaml')).toEqual(defaults);
    expect(parseConfig('{}\n', 'drc.yaml')).toEqual(defaults);
    expect(parseConfig('# only a comment\n', 'drc.yaml')).toEqual(defaults);
  });

  test('treats an empty section as an empty one', () => {
    const config = parseConfig('hub:\nhosts:\nagent:\nretention:\n', 'drc.yaml');
    expect(config.hub).toEqual(emptyConfig().hub);
    expect(config.hosts).toEqual([]);
    expect(config.retention).toBeNull();
    expect(config.agent?.heartbeat).toBe(5);
  });

  test('follows YAML anchors and aliases', () => {
    const config = parseConfig(
      'schedules:\n  - { name: a, cron: "0 1 * * *", targets: ["*"], retention: &keep { daily: 7 } }\n' +
        '  - { name: b, cron: "0 2 * * *", targets: ["*"], retention: *keep }\n',
      'drc.yaml',
    );
    expect(config.schedules.map((s) => s.retention?.daily)).toEqual([7, 7]);
  });

  test('parses the annotated example config/drc.yaml cleanly', () => {
    const config = loadConfig(EXAMPLE);
    expect(config.hosts.map((h) => h.name)).toEqual(['web-01', 'db-01', 'build-01']);
    expect(config.hub.data).toBe(resolve(EXAMPLE, '..', 'data'));
    expect(config.agent?.volumes.map((v) => v.tracker)).toEqual(['scan', 'qemu-dirty-bitmap']);
    expect([config.schedules.length, config.alarms.length, config.channels.length]).toEqual([2, 4, 3]);
    expect([config.targets.length, config.checks.length, config.plans.length]).toEqual([2, 5, 1]);
  });
});

describe('emptyConfig', () => {
  test('listens on the documented loopback defaults with no operator TCP port', () => {
    const { hub } = emptyConfig();
    expect(hub.name).toBe('drc-hub');
    expect(hub.listen).toEqual({ agents: { host: '127.0.0.1', port: 7701 }, apiTcp: null, http: { host: '127.0.0.1', port: 7703 } });
    expect(hub.data).toBeNull();
  });

  test('returns a fresh object each time', () => {
    const a = emptyConfig();
    a.hub.listen.agents.port = 1;
    expect(emptyConfig().hub.listen.agents.port).toBe(7701);
  });
});

describe('loadConfig and resolveConfigPath', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drc-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('resolves relative paths against the directory of the config file', () => {
    const file = join(dir, 'drc.yaml');
    writeFileSync(file, 'hub:\n  data: ./state\n');
    expect(loadConfig(file).hub.data).toBe(join(dir, 'state'));
  });

  test('reports an unreadable file as a ConfigError at 1:1', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadConfig(missing)).toThrow(ConfigError);
    expect(() => loadConfig(missing)).toThrow(
      `${missing}:1:1: cannot read file: ENOENT: no such file or directory, open '${missing}'`,
    );
  });

  test('names the loaded file in errors', () => {
    const file = join(dir, 'drc.yaml');
    writeFileSync(file, 'hub:\n  nmae: x\n');
    expect(() => loadConfig(file)).toThrow(`${file}:2:3: unknown key "nmae" in hub`);
  });

  test('prefers --config, then DRC_CONFIG, then ./drc.yaml, then the XDG config home', () => {
    const cwd = join(dir, 'work');
    const xdg = join(dir, 'xdg');
    mkdirSync(cwd);
    mkdirSync(join(xdg, 'drc'), { recursive: true });
    const env = { XDG_CONFIG_HOME: xdg, HOME: join(dir, 'home') };

    expect(resolveConfigPath({ env, cwd })).toBeNull();
    writeFileSync(join(xdg, 'drc', 'drc.yaml'), '');
    expect(resolveConfigPath({ env, cwd })).toBe(join(xdg, 'drc', 'drc.yaml'));
    writeFileSync(join(cwd, 'drc.yaml'), '');
    expect(resolveConfigPath({ env, cwd })).toBe(join(cwd, 'drc.yaml'));
    expect(resolveConfigPath({ env: { ...env, DRC_CONFIG: '/etc/drc.yaml' }, cwd })).toBe('/etc/drc.yaml');
    expect(resolveConfigPath({ config: 'mine.yaml', env: { ...env, DRC_CONFIG: '/etc/drc.yaml' }, cwd })).toBe(
      join(cwd, 'mine.yaml'),
    );
  });

  test('falls back to ~/.config when XDG_CONFIG_HOME is unset', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config', 'drc'), { recursive: true });
    writeFileSync(join(home, '.config', 'drc', 'drc.yaml'), '');
    expect(resolveConfigPath({ env: { HOME: home }, cwd: dir })).toBe(join(home, '.config', 'drc', 'drc.yaml'));
  });

  test('returns an explicit path even when it does not exist, so loading reports it', () => {
    expect(resolveConfigPath({ config: '/nowhere/drc.yaml', env: {}, cwd: dir })).toBe('/nowhere/drc.yaml');
  });
});
