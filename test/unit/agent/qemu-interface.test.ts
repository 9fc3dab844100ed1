// Where the qemu-dirty-bitmap tracker meets the rest of drc: the agent's `event` message and
// the `drc agent` flags that pick the tracker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentMessage } from '../../../src/protocol/agent.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { drc } from '../../helpers/cluster.js';

describe('the bitmap_invalidated event message', () => {
  const event = { type: 'event', kind: 'bitmap_invalidated', volume: 'disk', message: 'dirty bitmap drc.disk.x is gone' };

  it('is accepted as sent', () => {
    expect(parseAgentMessage(JSON.stringify(event))).toEqual(event);
  });

  it('is refused with an unknown kind, a bad volume name or an extra field', () => {
    for (const bad of [{ ...event, kind: 'disk_on_fire' }, { ...event, volume: '../etc' }, { ...event, extra: 1 }]) {
      expect(() => parseAgentMessage(JSON.stringify(bad))).toThrow(ProtocolError);
    }
  });
});

describe('drc agent --tracker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-qcli-'));
  const image = path.join(dir, 'disk.img');
  fs.writeFileSync(image, Buffer.alloc(65536));
  const base = ['agent', '--hub', 'ws://127.0.0.1:9', '--host', 'h', '--token', 't', '--data', dir];
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const usage = async (args: string[]) => {
    const r = await drc([...base, ...args]);
    return { code: r.code, line: r.stderr.trim() };
  };

  it('rejects an unknown tracker with exit 2 and one line', async () => {
    expect(await usage(['--volume', `disk=${image}`, '--tracker', 'cbt'])).toEqual({ code: 2, line: 'drc: agent: --tracker cbt: expected one of scan, qemu-dirty-bitmap' });
  });

  it('rejects --qmp without the qemu-dirty-bitmap tracker', async () => {
    expect(await usage(['--volume', `disk=${image}`, '--qmp', '/run/q.qmp', '--nbd', '/run/q.nbd'])).toEqual({ code: 2, line: 'drc: agent: --qmp and --nbd apply only with --tracker qemu-dirty-bitmap' });
  });

  it('rejects --qmp without --nbd', async () => {
    expect(await usage(['--volume', `disk=${image}`, '--tracker', 'qemu-dirty-bitmap', '--qmp', '/run/q.qmp'])).toEqual({
      code: 2,
      line: 'drc: agent: volume disk: qmp and nbd go together (or neither, and the agent runs qemu-storage-daemon itself)',
    });
  });

  it('rejects --qmp and --nbd with more than one volume', async () => {
    const r = await usage(['--volume', `a=${image}`, '--volume', `b=${image}`, '--tracker', 'qemu-dirty-bitmap', '--qmp', '/q', '--nbd', '/n']);
    expect(r).toEqual({ code: 2, line: 'drc: agent: --qmp and --nbd describe one volume: give exactly one --volume' });
  });
});
