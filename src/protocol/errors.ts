export type ProtocolErrorCode = 'malformed' | 'oversized' | 'unknown' | 'out-of-order' | 'version' | 'auth';

/** A peer broke the wire protocol; the connection is closed with this reason. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** WebSocket close codes we use (4000-4999 are application codes). */
export const CLOSE = {
  protocol: 4002,
  auth: 4001,
  replaced: 4003,
  shutdown: 4004,
  revoked: 4005,
} as const;
