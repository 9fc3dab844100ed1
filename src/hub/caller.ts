// The operator on whose behalf the hub is acting: set by the API door around a request,
// so every audit row written while it runs names the client's address and SSH_CLIENT.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Caller {
  actor: string;
  /** `unix` for the socket, host:port over TCP */
  address: string;
  ssh: string | null;
  /** set once an audit row of this request has been written */
  audited: boolean;
}

const current = new AsyncLocalStorage<Caller>();

export function withCaller<T>(caller: Caller, fn: () => T): T {
  return current.run(caller, fn);
}

/** The details of an audit row, with the current caller's address added (and the request marked audited). */
export function stampCaller(details: object): object {
  const c = current.getStore();
  if (!c) return details;
  c.audited = true;
  return { ...details, client: { address: c.address, ssh: c.ssh } };
}
