// Post-restore checks against local servers and commands: pass/fail with timing, never a throw.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckConfig } from '../../../src/config/types.js';
import { checkApplies, checksFor, qemuImgAvailable, runCheck, type CheckSubject } from '../../../src/recovery/checks.js';
import { systemClock } from '../../../src/recovery/executor.js';
import { imageEnv } from '../../../src/recovery/targets.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-checks-'));
const image = path.join(dir, 'web-root.img');
const subject: CheckSubject = {
  host: 'web-01', tags: ['prod'], tier: 'gold', format: 'raw', images: [{ volume: 'root', path: image }],
  env: imageEnv({ runId: 4, kind: 'drill', host: 'web-01', format: 'raw', images: [{ volume: 'root', path: image }] }),
};
const base = { timeout: 2, hosts: [] };

let server: http.Server;
let httpPort = 0;
let closedPort = 0;

beforeAll(async () => {
  fs.writeFileSync(image, 'restored');
  server = http.createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  httpPort = (server.address() as net.AddressInfo).port;
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  closedPort = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
});

afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('checks', () => {
  it('passes a command check that finds the image through DRC_IMAGE, DRC_IMAGE_ROOT and DRC_HOST', async () => {
    const c: CheckConfig = { ...base, name: 'grep', type: 'command', command: 'grep -q restored "$DRC_IMAGE_ROOT" && test "$DRC_HOST" = web-01 && test -s "$DRC_IMAGE"' };
    const r = await runCheck(c, subject, systemClock);
    expect(r).toMatchObject({ name: 'grep', host: 'web-01', status: 'pass' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails a command check that exits non-zero, and one that outlives its timeout', async () => {
    expect(await runCheck({ ...base, name: 'x', type: 'command', command: 'echo no filesystem; exit 3' }, subject, systemClock)).toMatchObject({ status: 'fail', detail: 'no filesystem' });
    const slow = await runCheck({ ...base, timeout: 0.3, name: 'slow', type: 'command', command: 'sleep 5' }, subject, systemClock);
    expect(slow).toMatchObject({ status: 'fail' });
    expect(slow.detail).toMatch(/timed out after 0.3 s/);
    expect(slow.durationMs).toBeLessThan(3000);
  });

  it('passes a TCP probe of a listening port and fails one of a closed port', async () => {
    expect(await runCheck({ ...base, name: 't', type: 'tcp', address: { host: '127.0.0.1', port: httpPort } }, subject, systemClock)).toMatchObject({ status: 'pass' });
    expect(await runCheck({ ...base, name: 't', type: 'tcp', address: { host: '127.0.0.1', port: closedPort } }, subject, systemClock)).toMatchObject({ status: 'fail' });
  });

  it('judges an HTTP probe by any 2xx or by the expected status', async () => {
    const url = (p: string) => `http://127.0.0.1:${httpPort}${p}`;
    expect(await runCheck({ ...base, name: 'h', type: 'http', url: url('/ok'), expectStatus: null }, subject, systemClock)).toMatchObject({ status: 'pass' });
    expect(await runCheck({ ...base, name: 'h', type: 'http', url: url('/down'), expectStatus: null }, subject, systemClock)).toMatchObject({ status: 'fail', detail: expect.stringContaining('HTTP 503') });
    expect(await runCheck({ ...base, name: 'h', type: 'http', url: url('/down'), expectStatus: 503 }, subject, systemClock)).toMatchObject({ status: 'pass' });
  });

  it('skips qemu-img check on raw images and adds it by itself for qcow2 targets', async () => {
    expect(await runCheck({ ...base, name: 'q', type: 'qemu_img_check' }, subject, systemClock)).toMatchObject({ status: 'skipped' });
    expect(checksFor([], [], { ...subject, format: 'qcow2' }).map((c) => c.type)).toEqual(['qemu_img_check']);
  });

  it.runIf(qemuImgAvailable())('passes qemu-img check on a sound qcow2 image', async () => {
    const qcow = path.join(dir, 'x.qcow2');
    const { spawnSync } = await import('node:child_process');
    spawnSync('qemu-img', ['create', '-f', 'qcow2', qcow, '1M'], { stdio: 'ignore' });
    const r = await runCheck({ ...base, name: 'q', type: 'qemu_img_check' }, { ...subject, format: 'qcow2', images: [{ volume: 'root', path: qcow }] }, systemClock);
    expect(r.status).toBe('pass');
  });

  it('selects checks by host glob, tag and tier', () => {
    const c = (hosts: string[]): CheckConfig => ({ ...base, hosts, name: 'n', type: 'digest' });
    const h = { name: 'web-01', tags: ['prod'], tier: 'gold' };
    expect([c([]), c(['web-*']), c(['tag:prod']), c(['tier:gold'])].every((x) => checkApplies(x, h))).toBe(true);
    expect([c(['db-*']), c(['tag:dev']), c(['tier:silver'])].some((x) => checkApplies(x, h))).toBe(false);
  });
});
