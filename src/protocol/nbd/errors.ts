/** An NBD connection or request failed; one line. */
export class NbdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NbdError';
  }
}
