// The operator API's method table: each method's params read by one schema, the types the
// hub and the clients use derived from it, so what the hub accepts is what a client may send.
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { isMethodName, operatorRequests, parseParams } from '../../../src/protocol/operator.js';

describe('operator requests', () => {
  it('reads backup.start with every field a client may send, priority included', () => {
    expect(parseParams('backup.start', { host: 'web-01', volume: 'root', full: true, origin: 'cli', priority: 80 }))
      .toEqual({ host: 'web-01', volume: 'root', full: true, origin: 'cli', priority: 80 });
    expect(parseParams('backup.start', { host: 'web-01' })).toEqual({ host: 'web-01' });
  });

  it('rejects unknown fields, missing ones and values out of range, naming the field', () => {
    expect(() => parseParams('backup.start', { host: 'web-01', prio: 1 })).toThrow(/params: unknown field "prio"/);
    expect(() => parseParams('backup.start', {})).toThrow(/params\.host: expected a string/);
    expect(() => parseParams('backup.start', { host: 'web-01', priority: 101 })).toThrow(/params\.priority: integer out of range 0\.\.100/);
    expect(() => parseParams('restore.start', { host: 'h', volume: 'v', point: 'latest', to: '/x', format: 'zip' })).toThrow(ProtocolError);
  });

  it('reads absent params as none, and refuses any field for a method that takes none', () => {
    expect(parseParams('hub.status', undefined)).toEqual({});
    expect(() => parseParams('jobs.list', { limit: 5 })).toThrow(/unknown field "limit"/);
    expect(() => parseParams('reports.list', [])).toThrow(/params: expected an object/);
  });

  it('gives every method a schema that answers params of the wrong shape with a one-line error', () => {
    for (const method of Object.keys(operatorRequests)) {
      if (!isMethodName(method)) throw new Error(`${method} is in the table but not a method name`);
      let message = '';
      try {
        parseParams(method, { surely: 'not a field' });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, method).toMatch(/^params(\.\w+)?: [^\n]+$/);
    }
  });

  it('knows only the methods of the table, not the names every object has', () => {
    expect(isMethodName('store.gc')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
    expect(isMethodName('__proto__')).toBe(false);
  });
});
