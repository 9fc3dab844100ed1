// Hostile and broken peers at the agents' door: bad credentials are refused at the
// upgrade, every malformed or out-of-order message closes only that peer (4002), an
// oversized frame closes it with 1009, and a good agent's backups go on unharmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_BLOCK_SIZE, MAX_PAYLOAD, PROTOCOL_VERSION } from '../../src/protocol/agent.js';
import { CLOSE } from '../../src/protocol/errors.js';
import { FRAME_HEADER_BYTES, encodeBlockFrame } from '../../src/protocol/frames.js';
import { makeImage, rewriteBlocks, type HubProc } from '../helpers/cluster.js';
import { Cluster, backup, backupOk, restoredSha, sha256File, waitFor, withCatalog } from './support.js';
import { rng } from '../helpers/rng.js';

const GARBAGE_CASES = 2000;
const LANES = 8;
const SEED = Number(process.env.DRC_FUZZ_SEED ?? 0x5eed);

type Headers = Record<string, string>;

function agentHeaders(host: string | null, token: string | null): Headers {
  const h: Headers = { 'x-drc-protocol': String(PROTOCOL_VERSION) };
  if (host !== null) h['x-drc-host'] = host;
  if (token !== null) h.authorization = `Bearer ${token}`;
  return h;
}

/** Dial the agents' endpoint; resolves with the open socket or the HTTP refusal. */
function dial(url: string, headers: Headers): Promise<{ ws: WebSocket } | { status: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/agent`, { headers, perMessageDeflate: false, handshakeTimeout: 5000 });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode ?? 0, reason: String(res.headers['x-drc-reason'] ?? '') });
      req.destroy();
    });
    ws.once('error', (e) => reject(e));
  });
}

async function openAs(url: string, host: string, token: string): Promise<WebSocket> {
  const r = await dial(url, agentHeaders(host, token));
  if (!('ws' in r)) throw new Error(`connection as ${host} refused: ${r.status} ${r.reason}`);
  r.ws.on('error', () => undefined);
  return r.ws;
}

function closeOf(ws: WebSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      ws.terminate();
      resolve({ code: -1, reason: 'the hub did not close the connection' });
    }, timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: reason.toString() });
    });
  });
}

const hello = (host: string) => ({ type: 'hello', version: PROTOCOL_VERSION, host, agentVersion: 'fuzz', volumes: [] });

// ---- garbage ------------------------------------------------------------------------------

interface GarbageCase {
  what: string;
  /** send a valid hello first */
  hello: boolean;
  message: string | Buffer;
}

const NO_JOB = 77;
/** Messages the schema accepts; after hello, the job-bound ones are still out of order (no job runs). */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  heartbeat: { type: 'heartbeat', time: 1 },
  log: { type: 'log', level: 'info', message: 'x', time: 1 },
  bitmap: { type: 'bitmap', volume: 'disk', blockSize: 65536, blockCount: 8, size: 524288, dirtyCount: 0, mode: 'full', bitmap: 'AA==', time: 1 },
  offer: { type: 'offer', jobId: NO_JOB, volume: 'disk', seq: 0, entries: '' },
  progress: { type: 'progress', jobId: NO_JOB, volume: 'disk', phase: 'scan', doneBytes: 0, totalBytes: 1 },
  end: { type: 'end', jobId: NO_JOB, volume: 'disk', blockCount: 1, size: 1, merkleRoot: 'ab' },
  failed: { type: 'failed', jobId: NO_JOB, reason: 'x' },
};
const ACCEPTED_AFTER_HELLO = new Set(['heartbeat', 'log', 'bitmap']);

function garbageCases(n: number, seed: number): GarbageCase[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (max: number) => Math.floor(r() * max);
  const bytes = (len: number) => Buffer.from(Array.from({ length: len }, () => int(256)));
  const word = () => `k${int(1e9).toString(36)}`;
  const randomValue = (depth: number): unknown => {
    const k = int(depth > 2 ? 5 : 7);
    if (k === 0) return null;
    if (k === 1) return r() < 0.5;
    if (k === 2) return r() < 0.5 ? int(1e6) - 5e5 : r() * 1e9;
    if (k === 3) return bytes(int(20)).toString('latin1');
    if (k === 4) return word();
    if (k === 5) return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    return Object.fromEntries(Array.from({ length: int(4) }, () => [word(), randomValue(depth + 1)]));
  };
  const wrongValue = (v: unknown): unknown => (typeof v === 'number' ? pick(['1', 1.5, -1, true, null, 2 ** 60]) : typeof v === 'string' ? pick([42, null, [], {}]) : 'x');
  const frame = () =>
    encodeBlockFrame({ codec: 0, volumeIndex: int(3), jobId: 1 + int(1000), blockIndex: int(1000), rawLength: 64, hash: bytes(32) }, bytes(64));

  const makers: (() => GarbageCase)[] = [
    () => ({ what: 'random binary', hello: true, message: bytes(int(300)) }),
    () => ({ what: 'random text', hello: true, message: bytes(1 + int(200)).toString('latin1') }),
    () => ({ what: 'random JSON value', hello: true, message: JSON.stringify(pick([randomValue(0), [randomValue(1)], int(100), 'str', null])) ?? 'null' }),
    () => {
      const o = Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['jobId', 'volume', 'time', 'seq', 'size']), randomValue(1)]));
      o.type = pick([...Object.keys(TEMPLATES), 'hello', 'welcome', 'need', '', word()]);
      o[word()] = randomValue(1); // a field no message has
      return { what: 'random JSON object with an unknown field', hello: true, message: JSON.stringify(o) };
    },
    () => ({ what: 'unknown type', hello: true, message: JSON.stringify({ type: pick(['start', 'need', 'committed', 'HELLO', 'x', word()]), time: 1 }) }),
    () => {
      const [t, tpl] = pick(Object.entries(TEMPLATES));
      const fields = Object.keys(tpl).filter((k) => k !== 'type');
      const f = pick(fields);
      return { what: `${t} with a wrong-typed ${f}`, hello: true, message: JSON.stringify({ ...tpl, [f]: wrongValue(tpl[f]) }) };
    },
    () => {
      const [t, tpl] = pick(Object.entries(TEMPLATES));
      const f = pick(Object.keys(tpl).filter((k) => k !== 'type'));
      const m = { ...tpl };
      delete m[f];
      return { what: `${t} without ${f}`, hello: true, message: JSON.stringify(m) };
    },
    () => {
      const [t, tpl] = pick(Object.entries(TEMPLATES).filter(([k]) => !ACCEPTED_AFTER_HELLO.has(k)));
      return { what: `${t} for a job that is not running`, hello: true, message: JSON.stringify(tpl) };
    },
    () => ({ what: 'bitmap whose length does not match blockCount', hello: true, message: JSON.stringify({ ...TEMPLATES.bitmap, blockCount: 9 + int(100) }) }),
    () => ({ what: 'second hello', hello: true, message: JSON.stringify(hello('whoever')) }),
    () => {
      const [t, tpl] = pick(Object.entries(TEMPLATES));
      return { what: `${t} before hello`, hello: false, message: JSON.stringify(tpl) };
    },
    () => ({ what: 'block frame before hello', hello: false, message: frame() }),
    () => ({ what: 'random binary before hello', hello: false, message: bytes(int(100)) }),
    () => ({ what: 'block frame for a job that is not running', hello: true, message: frame() }),
    () => {
      const f = frame();
      const bad = pick(['magic', 'version', 'codec', 'zero length', 'huge length', 'length mismatch', 'truncated header'] as const);
      if (bad === 'magic') f.writeUInt32LE(int(0xffffffff), 0);
      if (bad === 'version') f[4] = 2 + int(250);
      if (bad === 'codec') f[5] = 2 + int(250);
      if (bad === 'zero length') f.writeUInt32LE(0, 16);
      if (bad === 'huge length') f.writeUInt32LE(MAX_BLOCK_SIZE + 1 + int(1000), 16);
      if (bad === 'length mismatch') f.writeUInt32LE(65 + int(1000), 16);
      return { what: `block frame with a bad header (${bad})`, hello: true, message: bad === 'truncated header' ? f.subarray(0, int(FRAME_HEADER_BYTES)) : f };
    },
  ];
  return Array.from({ length: n }, () => pick(makers)());
}

// ---- the tests ------------------------------------------------------------------------------
describe('the agents\' gateway under abuse', () => {
  const c = new Cluster();
  let hub: HubProc;
  let image: string;
  const fakes: { host: string; token: string }[] = [];

  beforeAll(async () => {
    hub = await c.startHub();
    const token = await hub.addHost('h1');
    image = c.file('disk.img');
    makeImage(image, 64);
    await c.startAgent(hub, 'h1', token, { disk: image });
    await backupOk(hub, 'h1');
    for (let i = 0; i < LANES; i++) fakes.push({ host: `fake${i}`, token: await hub.addHost(`fake${i}`) });
  });

  afterAll(() => c.stop());

  function audited(reason: string): { actor: string; target: string | null; outcome: string; details: string }[] {
    return withCatalog(hub.dataDir, (db) =>
      (db.prepare(`SELECT actor, target, outcome, details FROM audit WHERE action = 'agent.connect' ORDER BY id`).all() as {
        actor: string; target: string | null; outcome: string; details: string;
      }[]).filter((a) => (JSON.parse(a.details) as { reason: string | null }).reason === reason),
    );
  }

  async function expectRefused(headers: Headers, reason: string): Promise<void> {
    const r = await dial(hub.agentsUrl, headers);
    // the agent is told one thing for an unknown host and a bad token; the audit says which
    const told = /^no (token|host)/.test(reason) ? reason : 'unknown host, or a wrong, revoked or expired token';
    expect(r).toEqual({ status: 401, reason: told });
    const rows = audited(reason);
    expect(rows.length, `audit rows for "${reason}"`).toBeGreaterThanOrEqual(1);
    expect(rows[rows.length - 1]!.outcome).toBe('rejected');
  }

  it('refuses a wrong token with 401 at the upgrade and audits the rejection', async () => {
    await expectRefused(agentHeaders('fake0', 'drc_not-the-token'), 'wrong token for fake0');
    expect(audited('wrong token for fake0').at(-1)).toMatchObject({ actor: 'agent:fake0', target: 'fake0' });
  });

  it('refuses a missing token with 401 at the upgrade and audits the rejection', async () => {
    await expectRefused(agentHeaders('fake0', null), 'no token given');
  });

  it('refuses an unknown host with 401 at the upgrade and audits the rejection', async () => {
    await expectRefused(agentHeaders('nosuchhost', fakes[0]!.token), 'unknown host nosuchhost');
  });

  it('refuses a missing host name with 401 at the upgrade and audits the rejection', async () => {
    await expectRefused(agentHeaders(null, fakes[0]!.token), 'no host name given');
  });

  it('closes a live link when its token is revoked and refuses the token afterwards', async () => {
    const token = await hub.addHost('revokee');
    const ws = await openAs(hub.agentsUrl, 'revokee', token);
    const closed = closeOf(ws);
    ws.send(JSON.stringify(hello('revokee')));
    await waitFor('revokee connected', async () => (await hub.json<{ name: string; link: string }[]>(['hosts'])).some((h) => h.name === 'revokee' && h.link === 'connected'));
    const r = await hub.run(['hosts', 'revoke', 'revokee']);
    expect(r.code, r.stderr).toBe(0);
    expect(await closed).toEqual({ code: CLOSE.revoked, reason: 'token revoked' });
    await expectRefused(agentHeaders('revokee', token), 'token of revokee is revoked');
  });

  it(`closes the peer with 4002 and a reason for each of ${GARBAGE_CASES} garbage messages while a good backup runs`, async () => {
    const cases = garbageCases(GARBAGE_CASES, SEED);
    // the good agent backs up a changed image while the garbage flies
    rewriteBlocks(image, 200);
    const goodBackup = backup(hub, 'h1');
    const failures: string[] = [];
    await Promise.all(
      fakes.map(async ({ host, token }, lane) => {
        // one socket at a time per fake host: a second one would replace the first (4003)
        for (let i = lane; i < cases.length && failures.length < 5; i += LANES) {
          const k = cases[i]!;
          const ws = await openAs(hub.agentsUrl, host, token);
          const closed = closeOf(ws, 10_000);
          if (k.hello) ws.send(JSON.stringify(hello(host)));
          ws.send(k.message);
          const { code, reason } = await closed;
          if (code !== CLOSE.protocol || reason.length === 0) failures.push(`case ${i} (${k.what}): closed ${code} "${reason}"`);
        }
      }),
    );
    expect(failures, `seed ${SEED}`).toEqual([]);
    const job = await goodBackup;
    expect(job.state, job.error ?? '').toBe('succeeded');
    const protocolEvents = withCatalog(hub.dataDir, (db) => (db.prepare(`SELECT COUNT(*) AS n FROM events WHERE kind = 'agent.protocol'`).get() as { n: number }).n);
    expect(protocolEvents).toBeGreaterThanOrEqual(GARBAGE_CASES);
  }, 120_000);

  it('closes a peer that sends a frame larger than MAX_PAYLOAD with 1009 and keeps serving', async () => {
    const { host, token } = fakes[0]!;
    for (const big of [Buffer.alloc(MAX_PAYLOAD + 1), 'x'.repeat(MAX_PAYLOAD + 1)]) {
      const ws = await openAs(hub.agentsUrl, host, token);
      const closed = closeOf(ws);
      ws.send(JSON.stringify(hello(host)));
      ws.send(big);
      expect((await closed).code).toBe(1009);
    }
    // the next well-behaved peer is served as usual
    const ws = await openAs(hub.agentsUrl, host, token);
    const welcome = await new Promise<{ type: string }>((resolve) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString()) as { type: string }));
      ws.send(JSON.stringify(hello(host)));
    });
    expect(welcome.type).toBe('welcome');
    ws.close();
  });

  it('keeps the good agent connected, and its next backup restores byte-identical', async () => {
    const hosts = await hub.json<{ name: string; link: string }[]>(['hosts']);
    expect(hosts.find((h) => h.name === 'h1')?.link).toBe('connected');
    rewriteBlocks(image, 50);
    const job = await backupOk(hub, 'h1');
    expect(job.pointIds).toHaveLength(1);
    expect(await restoredSha(hub, 'h1', 'disk', 'latest', c.file('restored.img'))).toBe(sha256File(image));
  });
});
