// Wire protocol: message schemas, block frames, offers, bitmaps and the Merkle root.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MAX_BLOCK_SIZE,
  OFFER_ENTRY_BYTES,
  decodeIndices,
  decodeOffer,
  encodeIndices,
  encodeOffer,
  parseAgentMessage,
  parseHubMessage,
} from '../../../src/protocol/agent.js';
import { ChangedBlockBitmap, bitmapDensity } from '../../../src/protocol/bitmap.js';
import { ProtocolError, type ProtocolErrorCode } from '../../../src/protocol/errors.js';
import { base64, base64Text } from '../../../src/protocol/schema.js';
import { CODEC_RAW, CODEC_ZSTD, FRAME_HEADER_BYTES, decodeBlockFrame, encodeBlockFrame, payloadIntact } from '../../../src/protocol/frames.js';
import { merkleRoot, merkleRootPacked } from '../../../src/protocol/merkle.js';

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new Error(`expected a ProtocolError, got ${String(e)}`);
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

function expectCode(fn: () => unknown, code: ProtocolErrorCode, message?: RegExp): void {
  const e = protocolError(fn);
  expect(e.code).toBe(code);
  if (message) expect(e.message).toMatch(message);
}

const hello = { type: 'hello', version: 1, host: 'web-1', agentVersion: '0.1.0', volumes: [{ name: 'disk', path: '/dev/vda', size: 65536, blockSize: 65536, tracker: 'scan' }] };

describe('parseAgentMessage', () => {
  it('returns a valid message as it was sent', () => {
    expect(parseAgentMessage(JSON.stringify(hello))).toEqual(hello);
    expect(parseAgentMessage('{"type":"heartbeat","time":5}')).toEqual({ type: 'heartbeat', time: 5 });
  });

  it('accepts a bitmap without a job and keeps its base64 field as text', () => {
    const m = parseAgentMessage(JSON.stringify({ type: 'bitmap', volume: 'disk', blockSize: 4096, blockCount: 8, size: 32768, dirtyCount: 1, mode: 'full', bitmap: 'AQ==', time: 1 }));
    expect(m.type === 'bitmap' && m.jobId).toBeUndefined();
    expect(m.type === 'bitmap' && m.bitmap).toBe('AQ==');
  });

  it('rejects text that is not JSON, and JSON that is not an object, as malformed', () => {
    expectCode(() => parseAgentMessage('{nope'), 'malformed', /not JSON/);
    expectCode(() => parseAgentMessage('[1,2]'), 'malformed', /not an object/);
    expectCode(() => parseAgentMessage('null'), 'malformed', /not an object/);
  });

  it('rejects an unknown or missing message type with code unknown', () => {
    expectCode(() => parseAgentMessage('{"type":"start"}'), 'unknown', /unknown message type "start"/);
    expectCode(() => parseAgentMessage('{"type":"__proto__"}'), 'unknown');
    expectCode(() => parseAgentMessage('{"time":1}'), 'unknown');
  });

  it('rejects an unknown field with its path', () => {
    expectCode(() => parseAgentMessage('{"type":"heartbeat","time":1,"extra":true}'), 'malformed', /heartbeat: unknown field "extra"/);
    expectCode(() => parseAgentMessage(JSON.stringify({ ...hello, volumes: [{ ...hello.volumes[0], uid: 0 }] })), 'malformed', /hello\.volumes\[0\]: unknown field "uid"/);
  });

  it('rejects wrong types, out-of-range values and bad names with their path', () => {
    expectCode(() => parseAgentMessage('{"type":"heartbeat","time":"1"}'), 'malformed', /heartbeat\.time: expected an integer/);
    expectCode(() => parseAgentMessage('{"type":"heartbeat","time":1.5}'), 'malformed', /expected an integer/);
    expectCode(() => parseAgentMessage('{"type":"heartbeat","time":-1}'), 'malformed', /out of range/);
    expectCode(() => parseAgentMessage('{"type":"heartbeat"}'), 'malformed', /heartbeat\.time/);
    expectCode(() => parseAgentMessage(JSON.stringify({ ...hello, host: '../etc' })), 'malformed', /hello\.host: invalid name/);
    expectCode(() => parseAgentMessage(JSON.stringify({ ...hello, volumes: 'disk' })), 'malformed', /hello\.volumes: expected a list/);
    expectCode(() => parseAgentMessage(JSON.stringify({ ...hello, volumes: [{ ...hello.volumes[0], blockSize: 1000 }] })), 'malformed', /blockSize/);
    expectCode(() => parseAgentMessage('{"type":"log","level":"debug","message":"x","time":1}'), 'malformed', /log\.level: expected one of/);
    expectCode(() => parseAgentMessage('{"type":"offer","jobId":1,"volume":"disk","seq":0,"entries":"%%%"}'), 'malformed', /expected base64/);
  });
});

describe('base64 fields', () => {
  const ODD = ['', 'AQ', 'AQ=', 'AR==', 'A', '='];
  const good = randomBytes(300).toString('base64');
  const BAD = ['AQ-_', `${good.slice(0, 100)} ${good.slice(100)}`, `${good}\n`, 'A=Q=', 'AQ===', `é${good}`, `${good.slice(0, 40)}%${good.slice(41)}`];

  it('decodes base64 as the encoder writes it, and unpadded or oddly ended text as before', () => {
    const bytes = randomBytes(8192);
    expect(base64(8192)(bytes.toString('base64'), 'x').equals(bytes)).toBe(true);
    for (const text of ODD) expect(base64(8)(text, 'x')).toEqual(Buffer.from(text, 'base64'));
  });

  it('keeps base64 text as the encoder writes it, and writes odd text as the encoder would', () => {
    const bytes = randomBytes(8192);
    const text = bytes.toString('base64');
    expect(base64Text(8192)(text, 'x')).toBe(text);
    for (const odd of ODD) {
      const kept = base64Text(8)(odd, 'x');
      expect(kept).toBe(Buffer.from(odd, 'base64').toString('base64'));
      expect(Buffer.byteLength(kept, 'base64')).toBe(Buffer.from(odd, 'base64').length);
    }
  });

  it('checks text longer than its reused buffer, and each text on its own', () => {
    const big = randomBytes(3 * 1024 * 1024).toString('base64');
    const small = randomBytes(100).toString('base64');
    const read = base64Text(4 * 1024 * 1024);
    expect(read(big, 'x')).toBe(big);
    expect(read(small, 'x')).toBe(small);
    expect(() => read(`${big.slice(0, 1000)}%${big.slice(1001)}`, 'x')).toThrow(/x: expected base64/);
  });

  it('rejects characters outside the alphabet, even those a decoder would skip or accept', () => {
    for (const bad of BAD) {
      expectCode(() => base64(1024)(bad, 'offer.entries'), 'malformed', /offer\.entries: expected base64/);
      expectCode(() => parseAgentMessage(JSON.stringify({ type: 'bitmap', volume: 'disk', blockSize: 4096, blockCount: 8, size: 32768, dirtyCount: 1, mode: 'full', bitmap: bad, time: 1 })), 'malformed', /bitmap\.bitmap: expected base64/);
    }
  });
});

describe('parseHubMessage', () => {
  it('parses a start message and rejects a field the agent does not know', () => {
    expect(parseHubMessage('{"type":"start","jobId":3,"full":false,"volumes":[{"name":"disk","basePointId":null}]}')).toMatchObject({ type: 'start', jobId: 3 });
    expectCode(() => parseHubMessage('{"type":"welcome","version":1,"hub":"x","motd":"hi"}'), 'malformed', /unknown field "motd"/);
    expectCode(() => parseHubMessage('{"type":"hello"}'), 'unknown');
  });
});

describe('block frames', () => {
  const header = { codec: CODEC_RAW, volumeIndex: 2, jobId: 0xdeadbeef, blockIndex: 12345, rawLength: 100, hash: randomBytes(32) };

  it('decode what they encode', () => {
    const payload = randomBytes(100);
    const buf = encodeBlockFrame(header, payload);
    expect(buf.length).toBe(FRAME_HEADER_BYTES + 100);
    const f = decodeBlockFrame(buf);
    expect({ ...f, hash: Buffer.from(f.hash), payload: Buffer.from(f.payload) }).toEqual({ ...header, crc: expect.any(Number), payload });
    expect(payloadIntact(f)).toBe(true);
  });

  it('carry a checksum that shows a payload altered after it was framed', () => {
    const buf = encodeBlockFrame(header, randomBytes(100));
    buf[FRAME_HEADER_BYTES + 50]! ^= 1;
    expect(payloadIntact(decodeBlockFrame(buf))).toBe(false);
  });

  it('allow a compressed payload shorter than its raw length', () => {
    const f = decodeBlockFrame(encodeBlockFrame({ ...header, codec: CODEC_ZSTD, rawLength: 65536 }, randomBytes(20)));
    expect(f).toMatchObject({ codec: CODEC_ZSTD, rawLength: 65536 });
    expect(f.payload.length).toBe(20);
  });

  it('reject a bad magic, an unknown version or codec, and impossible lengths', () => {
    const good = () => encodeBlockFrame(header, randomBytes(100));
    const mutate = (f: (b: Buffer) => void) => {
      const b = good();
      f(b);
      return b;
    };
    expectCode(() => decodeBlockFrame(mutate((b) => (b[0] = 0))), 'malformed', /bad magic/);
    expectCode(() => decodeBlockFrame(mutate((b) => (b[4] = 9))), 'version', /version 9/);
    expectCode(() => decodeBlockFrame(mutate((b) => (b[5] = 7))), 'malformed', /codec 7/);
    expectCode(() => decodeBlockFrame(mutate((b) => b.writeUInt32LE(0, 16))), 'malformed', /raw length 0/);
    expectCode(() => decodeBlockFrame(mutate((b) => b.writeUInt32LE(MAX_BLOCK_SIZE + 1, 16))), 'malformed', /out of range/);
    expectCode(() => decodeBlockFrame(mutate((b) => b.writeUInt32LE(101, 16))), 'malformed', /length mismatch/);
    expectCode(() => decodeBlockFrame(good().subarray(0, FRAME_HEADER_BYTES - 1)), 'malformed', /shorter than/);
  });
});

describe('offers and index lists', () => {
  it('round-trip through their base64 encodings', () => {
    const entries = [
      { index: 0, flags: 0, hash: randomBytes(32) },
      { index: 0xffffffff, flags: 1, hash: randomBytes(32) },
    ];
    const back = decodeOffer(Buffer.from(encodeOffer(entries), 'base64'));
    expect(back.map((e) => ({ ...e, hash: Buffer.from(e.hash) }))).toEqual(entries);
    expect(decodeIndices(Buffer.from(encodeIndices([5, 0, 4096]), 'base64'))).toEqual([5, 0, 4096]);
  });

  it('reject buffers that are not a whole number of entries', () => {
    expectCode(() => decodeOffer(Buffer.alloc(OFFER_ENTRY_BYTES + 1)), 'malformed', /multiple of 37/);
    expectCode(() => decodeIndices(Buffer.alloc(6)), 'malformed', /multiple of 4/);
  });
});

describe('ChangedBlockBitmap', () => {
  it('sets, tests and counts bits LSB first', () => {
    const b = new ChangedBlockBitmap(20);
    b.set(0);
    b.set(9);
    b.set(19);
    expect(b.bits).toEqual(Buffer.from([0b1, 0b10, 0b1000]));
    expect([b.has(0), b.has(1), b.has(9), b.has(19)]).toEqual([true, false, true, true]);
    expect(b.count()).toBe(3);
    expect(ChangedBlockBitmap.all(13).count()).toBe(13);
  });

  it('spreads density over cells', () => {
    const b = new ChangedBlockBitmap(8);
    b.set(0);
    b.set(1);
    expect(bitmapDensity(b.bits, 8, 4)).toEqual([1, 0, 0, 0]);
    expect(bitmapDensity(b.bits, 0, 3)).toEqual([0, 0, 0]);
  });
});

describe('merkleRoot', () => {
  const h = (...parts: Buffer[]) => parts.reduce((c, p) => c.update(p), createHash('sha256')).digest();
  const leaf = (s: string) => h(Buffer.from(s));
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(leaf) as [Buffer, Buffer, Buffer, Buffer, Buffer];

  it('is sha256 of nothing for an empty volume', () => {
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is the leaf itself for one block', () => {
    expect(merkleRoot([a])).toBe(a.toString('hex'));
  });

  it('hashes pairs left to right', () => {
    expect(merkleRoot([a, b])).toBe(h(a, b).toString('hex'));
    expect(merkleRoot([a, b, c, d])).toBe(h(h(a, b), h(c, d)).toString('hex'));
  });

  it('carries an odd last node up unchanged', () => {
    expect(merkleRoot([a, b, c])).toBe(h(h(a, b), c).toString('hex'));
    expect(merkleRoot([a, b, c, d, e])).toBe(h(h(h(a, b), h(c, d)), e).toString('hex'));
  });

  it('gives the same root over a packed hash list', () => {
    expect(merkleRootPacked(Buffer.concat([a, b, c, d, e]))).toBe(merkleRoot([a, b, c, d, e]));
    expect(merkleRootPacked(Buffer.alloc(0))).toBe(merkleRoot([]));
  });

  it('gives the same root over packed hashes of every volume shape, odd levels included', () => {
    for (const n of [1, 2, 3, 6, 7, 8, 9, 255, 1000, 1025]) {
      const hashes = randomBytes(n * 32);
      const leaves = Array.from({ length: n }, (_, i) => hashes.subarray(i * 32, i * 32 + 32));
      expect(merkleRootPacked(hashes), `${n} leaves`).toBe(merkleRoot(leaves));
    }
  });
});
