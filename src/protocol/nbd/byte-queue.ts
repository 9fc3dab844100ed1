// Bytes arriving on a socket during the NBD handshake, taken in exact amounts by one reader
// at a time (the transmission phase has its own synchronous parser: replies.ts).

export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private available = 0;
  private wake: (() => void) | null = null;
  private error: Error | null = null;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.available += b.length;
    this.notify();
  }

  /** No more bytes will come; readers waiting or arriving later get `e`. */
  end(e: Error): void {
    this.error ??= e;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async more(): Promise<void> {
    if (this.error) throw this.error;
    await new Promise<void>((r) => (this.wake = r));
    if (this.available === 0 && this.error) throw this.error;
  }

  /** Exactly `n` bytes (a view into the received chunk when it holds them all). */
  async take(n: number): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    while (this.available < n) await this.more();
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const v = first.subarray(this.head, this.head + n);
      this.consume(n);
      return v;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, 0, n);
    return out;
  }

  private copyOut(dst: Buffer, at: number, n: number): void {
    let o = at;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(left, c.length - this.head);
      c.copy(dst, o, this.head, this.head + k);
      o += k;
      left -= k;
      this.consume(k);
    }
  }

  private consume(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(left, c.length - this.head);
      this.head += k;
      left -= k;
      this.available -= k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }
}
