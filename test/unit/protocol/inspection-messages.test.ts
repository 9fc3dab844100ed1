// The inspection wire messages: metrics samples, ping/pong, watch and log requests.
import { describe, expect, it } from 'vitest';
import { parseAgentMessage, parseHubMessage } from '../../../src/protocol/agent.js';

describe('inspection wire messages', () => {
  const sample = { type: 'metrics', time: 1, cpu: 12.5, memory: { usedBytes: 1, totalBytes: 2 }, disks: [{ mount: '/', usedBytes: 1, totalBytes: 2 }], processes: [{ name: 'nginx', count: 2 }], net: { rxBytesPerSec: 1.5, txBytesPerSec: 0 } };

  it('accepts a metrics sample with fractional values and rejects a CPU share above 100', () => {
    expect(parseAgentMessage(JSON.stringify(sample))).toEqual(sample);
    expect(() => parseAgentMessage(JSON.stringify({ ...sample, cpu: 101 }))).toThrow(/metrics\.cpu: number out of range/);
    expect(() => parseAgentMessage(JSON.stringify({ ...sample, net: { rxBytesPerSec: 'x', txBytesPerSec: 0 } }))).toThrow(/expected a number/);
  });

  it('parses ping, watch and logs.get from the hub and pong and logs from the agent', () => {
    expect(parseHubMessage('{"type":"ping","id":3,"time":5}')).toEqual({ type: 'ping', id: 3, time: 5 });
    expect(parseHubMessage('{"type":"watch","processes":["nginx"],"intervalMs":5000}')).toMatchObject({ processes: ['nginx'] });
    expect(() => parseHubMessage('{"type":"logs.get","requestId":1,"maxBytes":99999999}')).toThrow(/maxBytes: integer out of range/);
    expect(parseAgentMessage('{"type":"pong","id":3,"time":5}')).toEqual({ type: 'pong', id: 3, time: 5 });
    expect(parseAgentMessage('{"type":"logs","requestId":1,"data":"aGk=","size":2,"truncated":false}')).toMatchObject({ data: Buffer.from('hi') });
  });
});
