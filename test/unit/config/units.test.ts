import { describe, expect, test } from 'vitest';
import {
  formatDuration,
  formatHostPort,
  parseDuration,
  parseHostPort,
  parseSize,
  ValueFormatError,
} from '../../../src/config/index.js';

describe('parseDuration', () => {
  test.each([
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['2h30m', 9000],
    ['1d', 86400],
    ['1w', 604800],
    ['1w2d3h4m5s', 788645],
    ['0', 0],
    ['0s', 0],
    ['90', 90],
    [' 5m ', 300],
    [45, 45],
  ] as const)('reads %j as %i seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  test.each(['m', '1.5h', '-5s', '5 s', '15 minutes', '1H', '30m2h', '1h1h', '1y', '5ms', 'h1', '1h 30m'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(ValueFormatError);
  });

  test('rejects the empty string and negative numbers', () => {
    expect(() => parseDuration('')).toThrow(ValueFormatError);
    expect(() => parseDuration(-1)).toThrow(ValueFormatError);
    expect(() => parseDuration(1.5)).toThrow(ValueFormatError);
  });

  test('explains the accepted forms in a one-line message', () => {
    expect(() => parseDuration('soon')).toThrow(
      '"soon" is not a duration (expected a duration such as 30s, 15m, 1h, 2h30m, 1d, 1w, or whole seconds)',
    );
  });

  test('formats seconds back into a duration it reads', () => {
    expect([0, 45, 900, 9000, 788645].map(formatDuration)).toEqual(['0s', '45s', '15m', '2h30m', '1w2d3h4m5s']);
    expect(parseDuration(formatDuration(788645))).toBe(788645);
  });
});

describe('parseSize', () => {
  test.each([
    ['512', 512],
    ['512B', 512],
    ['64KiB', 65536],
    ['64K', 65536],
    ['64k', 65536],
    ['64kib', 65536],
    ['4MiB', 4194304],
    ['4M', 4194304],
    ['1GiB', 1073741824],
    ['1G', 1073741824],
    ['2TiB', 2199023255552],
    [' 8 KiB ', 8192],
    [4096, 4096],
  ] as const)('reads %j as %i bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each(['', 'KiB', '64KB', '4MB', '1.5MiB', '-1', '64 Ki', '4X', 'lots'])('rejects %j', (input) => {
    expect(() => parseSize(input)).toThrow(ValueFormatError);
  });

  test('explains the accepted forms in a one-line message', () => {
    expect(() => parseSize('64KB')).toThrow(
      '"64KB" is not a size (expected a size such as 512, 64KiB, 4MiB, 1GiB; K, M, G mean KiB, MiB, GiB)',
    );
  });
});

describe('parseHostPort', () => {
  test('reads host names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:7701')).toEqual({ host: '127.0.0.1', port: 7701 });
    expect(parseHostPort('hub.example.com:0')).toEqual({ host: 'hub.example.com', port: 0 });
    expect(parseHostPort('[::1]:7702')).toEqual({ host: '::1', port: 7702 });
  });

  test('rejects a missing port, a port out of range, and port 0 where a real port is needed', () => {
    expect(() => parseHostPort('localhost')).toThrow(ValueFormatError);
    expect(() => parseHostPort('localhost:65536')).toThrow('"localhost:65536" has port 65536 out of range');
    expect(() => parseHostPort('localhost:0', 1)).toThrow('(expected a port between 1 and 65535)');
    expect(() => parseHostPort('::1:7701')).toThrow(ValueFormatError);
  });

  test('formats an address back, bracketing IPv6', () => {
    expect(formatHostPort({ host: '::1', port: 7702 })).toBe('[::1]:7702');
    expect(formatHostPort({ host: '127.0.0.1', port: 7701 })).toBe('127.0.0.1:7701');
  });
});
