// Why a drill or failover request cannot go ahead; the hub turns it into an API error code.
export type RecoveryErrorCode = 'bad-request' | 'not-found' | 'refused' | 'confirm-required' | 'busy';

export class RecoveryError extends Error {
  constructor(
    readonly code: RecoveryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RecoveryError';
  }
}
