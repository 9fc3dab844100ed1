// The unit files in config/ are accepted by systemd as they are, without a warning, run a
// dedicated user with the hardening options, log to the journal, and give agents their
// token from a file (never on the command line, where ps shows it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cluster.js';

const UNITS = ['drc-hub.service', 'drc-agent@.service'];
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function unit(name: string): string {
  return fs.readFileSync(path.join(ROOT, 'config', name), 'utf8');
}

describe('systemd units', () => {
  it.skipIf(!haveAnalyze)('pass systemd-analyze verify without a warning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-units-'));
    try {
      // a template is verified as an instance of itself
      fs.copyFileSync(path.join(ROOT, 'config', 'drc-hub.service'), path.join(dir, 'drc-hub.service'));
      fs.copyFileSync(path.join(ROOT, 'config', 'drc-agent@.service'), path.join(dir, 'drc-agent@web-01.service'));
      const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'drc-hub.service'), path.join(dir, 'drc-agent@web-01.service')], { encoding: 'utf8' });
      const own = r.stderr.split('\n').filter((l) => l.includes(dir));
      expect(own, r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const name of UNITS) {
    it(`${name} runs as a dedicated user, hardened, logging to the journal`, () => {
      const u = unit(name);
      for (const line of ['User=drc', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'StandardOutput=journal', 'StandardError=journal']) expect(u).toMatch(new RegExp(`^${line}$`, 'm'));
      expect(u).not.toMatch(/^ExecStart=.*--token\s/m);
    });
  }

  it('reloads the hub config with SIGHUP (systemctl reload drc-hub)', () => {
    expect(unit('drc-hub.service')).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });

  it('gives the agent its token from a file', () => {
    expect(unit('drc-agent@.service')).toMatch(/^ExecStart=.*--token-file \/etc\/drc\/agent-%i\.token/m);
  });
});
