// The cockpit's only door to the hub. The lead's implementation speaks the operator
// WebSocket; tests use an in-memory fake. Views never call it directly: they read the
// store and trigger actions through the cockpit context.
import type { MethodName, OperatorMethods, Update } from '../protocol/operator.js';

export type ConnectionState = 'connecting' | 'connected' | 'lost';

export interface CockpitClient {
  call<M extends MethodName>(method: M, params: OperatorMethods[M]['params']): Promise<OperatorMethods[M]['result']>;
  onUpdate(listener: (u: Update) => void): () => void;
  /** 'lost' means lost for good: the cockpit shows it and exits. */
  onConnection(listener: (s: ConnectionState) => void): () => void;
  /** where the hub is, e.g. a socket path or URL; shown in the header */
  readonly target: string;
  close(): void;
}
