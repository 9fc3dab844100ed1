/** The block store cannot do what was asked, or found damage; the message names what and where. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
