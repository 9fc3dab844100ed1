// Client of the hub's operator API, used by every `drc` command and by the cockpit.
import os from 'node:os';
import { createRequire } from 'node:module';
import type WebSocketClass from 'ws';
import type { MethodName, ParamsOf, ResultOf, Role, Update } from '../protocol/operator.js';

/**
 * ws loaded as CommonJS: imported from ESM, Node first scans each of its files for named
 * exports (cjs-module-lexer), a third of what a short `drc status --json` spends loading.
 */
const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketClass;
type WebSocket = WebSocketClass;

export type ConnectionState = 'connecting' | 'connected' | 'lost';

/** The hub could not be reached or refused a request; `code` is the hub's error code. */
export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export interface HubAddress {
  /** unix socket path, or ws:// or wss:// URL of the TCP operator API */
  target: string;
  token?: string;
  /** act with at most this role (the read-only cockpit asks for viewer) */
  role?: Role;
  /** PEM of the CA that signed the hub's certificate (wss://) */
  ca?: string | Buffer;
}

export class ApiClient {
  private ws: WebSocket;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private updateListeners = new Set<(u: Update) => void>();
  private connListeners = new Set<(s: ConnectionState) => void>();
  private opened: Promise<void>;
  readonly target: string;

  private constructor(addr: HubAddress) {
    this.target = addr.target;
    const url = addr.target.startsWith('ws') ? addr.target : `ws+unix://${addr.target}:/`;
    this.ws = new WebSocket(url, {
      headers: {
        'x-drc-user': process.env.USER || os.userInfo().username,
        // who is at the keyboard, for the audit log of drills and failovers
        ...(process.env.SSH_CLIENT ? { 'x-drc-ssh': process.env.SSH_CLIENT } : {}),
        ...(addr.token ? { authorization: `Bearer ${addr.token}` } : {}),
        ...(addr.role ? { 'x-drc-role': addr.role } : {}),
      },
      ...(addr.ca ? { ca: addr.ca } : {}),
      perMessageDeflate: false,
      maxPayload: 256 * 1024 * 1024,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', (e: NodeJS.ErrnoException) => {
        const why =
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? 'no hub is running there'
            : /\b401\b/.test(e.message)
              ? 'operator token required or wrong (set DRC_TOKEN)'
              : /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code ?? '')
                ? `the hub's TLS certificate is not trusted (${e.code}; give --ca FILE)`
              : e.code === 'EACCES'
                ? 'permission denied (the socket belongs to the hub\'s user)'
                : e.message;
        reject(new HubError('unreachable', `cannot reach the hub at ${addr.target}: ${why}`));
      });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data) => this.onMessage(data.toString()));
    this.ws.on('close', (code, reason) => {
      const err = new HubError('closed', `hub connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const l of this.connListeners) l('lost');
    });
  }

  static async connect(addr: HubAddress): Promise<ApiClient> {
    const c = new ApiClient(addr);
    await c.opened;
    return c;
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as { id?: number; result?: unknown; error?: { code: string; message: string }; type?: string };
    if (typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.error) p.reject(new HubError(m.error.code, m.error.message));
      else p.resolve(m.result);
      return;
    }
    if (typeof m.type === 'string') for (const l of this.updateListeners) l(m as Update);
  }

  /** One request; params and result are typed by the method table of protocol/operator.ts, which the hub validates with. */
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new HubError('closed', 'hub connection is closed'));
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  onUpdate(listener: (u: Update) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  onConnection(listener: (s: ConnectionState) => void): () => void {
    this.connListeners.add(listener);
    listener(this.ws.readyState === WebSocket.OPEN ? 'connected' : 'connecting');
    return () => this.connListeners.delete(listener);
  }

  close(): void {
    this.connListeners.clear();
    this.ws.close();
  }
}
