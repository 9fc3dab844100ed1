// What moving a backup's bytes from one process to another costs on this machine before drc does
// anything with them: a bare `ws` client sends N bytes as the agent does (one binary message per
// 64 KiB block frame, a zero mask, waiting on the socket's buffer) to a bare `ws` server in another
// process, which only counts them (and, in a second pass, CRC-32s each payload as the hub does).
// The CPU seconds of both processes come from /proc: the floor under the hub's cpu-s/GiB goal.
//
// As a module: transportFloor(bytes). As a child: `node transport-floor.js server [crc]` prints
// its port and then, when the client closes, the bytes it received; `client PORT BYTES` sends.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { WebSocket, WebSocketServer } from 'ws';
import { cpuOf } from './proc-cpu.js';

const FRAME = 65536 + 32;
const HIGH_WATER = 8 << 20;

async function server(crc: boolean): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 5 << 20 });
  await once(wss, 'listening');
  process.stdout.write(`${(wss.address() as { port: number }).port}\n`);
  wss.on('connection', (ws) => {
    let got = 0;
    let sum = 0;
    ws.on('message', (m: Buffer) => {
      got += m.length;
      if (crc) sum ^= zlib.crc32(m);
    });
    ws.on('close', () => {
      process.stdout.write(`${got} ${sum}\n`);
      wss.close();
    });
  });
}

async function client(port: number, bytes: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, generateMask: (mask: Buffer) => void mask.fill(0) });
  await once(ws, 'open');
  const u0 = process.cpuUsage();
  // frames of varied bytes (a compressed or random block's payload), reused like the agent's slabs
  const slab = Buffer.alloc(FRAME * 64);
  for (let i = 0; i < slab.length; i += 4) slab.writeUInt32LE((i * 2654435761) >>> 0, i);
  let sent = 0;
  let k = 0;
  while (sent < bytes) {
    const n = Math.min(FRAME, bytes - sent);
    const at = (k++ % 64) * FRAME;
    ws.send(slab.subarray(at, at + n));
    sent += n;
    if (ws.bufferedAmount > HIGH_WATER) await new Promise<void>((res) => ws.send(Buffer.alloc(0), () => res()));
  }
  await new Promise<void>((res) => ws.send(Buffer.alloc(0), () => res()));
  ws.close();
  await once(ws, 'close');
  const u = process.cpuUsage(u0);
  process.stdout.write(`${(u.user + u.system) / 1e6}\n`);
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** the child's stdout as lines: next() waits for the following one */
function lineReader(p: ChildProcess): () => Promise<string> {
  const got: string[] = [];
  const waiting: ((l: string | null) => void)[] = [];
  let buf = '';
  p.stdout!.on('data', (c: Buffer) => {
    buf += String(c);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(l);
      else got.push(l);
    }
  });
  p.once('exit', () => {
    for (const w of waiting.splice(0)) w(null);
  });
  return async () => {
    const l = got.length ? got.shift()! : await new Promise<string | null>((res) => (p.exitCode === null ? waiting.push(res) : res(null)));
    if (l === null) throw new Error(`transport-floor: a child exited early (${p.exitCode})`);
    return l;
  };
}

export interface TransportFloor {
  bytes: number;
  seconds: number;
  /** CPU seconds of the receiving process (user + system, all threads) */
  receiver: number;
  sender: number;
}

/** Send `bytes` from one process to another through bare websockets; `crc`: the receiver CRC-32s each message. */
export async function transportFloor(bytes: number, crc: boolean): Promise<TransportFloor> {
  const srv = child(['server', ...(crc ? ['crc'] : [])]);
  const fromServer = lineReader(srv);
  const port = await fromServer();
  const s0 = cpuOf(srv.pid);
  const t = performance.now();
  const cli = child(['client', port, String(bytes)]);
  const fromClient = lineReader(cli);
  const done = await fromServer();
  const seconds = (performance.now() - t) / 1000;
  const receiver = cpuOf(srv.pid) - s0;
  // the client prints its own CPU seconds from its connection's open to its close
  const sender = Number(await fromClient());
  await Promise.all([once(cli, 'exit'), once(srv, 'exit')]);
  const got = Number(done.split(' ')[0]);
  if (got !== bytes) throw new Error(`transport-floor: the server received ${got} of ${bytes} bytes`);
  return { bytes, seconds, receiver, sender };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'server') await server(a === 'crc');
  else if (mode === 'client') await client(Number(a), Number(b));
  else {
    const bytes = Number(process.env.BENCH_MIB ?? 1280) * 1048576;
    for (const crc of [false, true]) {
      const r = await transportFloor(bytes, crc);
      const gib = bytes / 2 ** 30;
      console.log(`bare ws${crc ? ' + CRC-32' : ''}: ${(bytes / 1048576).toFixed(0)} MiB in ${r.seconds.toFixed(2)} s, receiver ${(r.receiver / gib).toFixed(2)} cpu-s/GiB, sender ${(r.sender / gib).toFixed(2)} cpu-s/GiB`);
    }
  }
}
