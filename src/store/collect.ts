// A full garbage collection of the hub's heap, on demand. Big shared buffers (a restore's window
// ring, an NBD export's decode ring: 32–100 MiB each) are freed only when the collector finds their
// last handle, and the hub lets its heap grow four times its live size between full collections
// (hub/heap-growth.ts), so a closed export's ring could stay in memory for many more. Called after
// such a buffer is let go; a few ms on the hub's small heap.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/** Run a full collection now; false when this V8 does not allow it (nothing done). */
export function collectNow(): boolean {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}
