// How far V8 lets the hub's heap grow between full garbage collections. A backup's ingest
// promotes a steady trickle of objects (job state, the websocket's per-message objects) into
// a small old generation (~20 MB); with V8's default growth the limit sits ~1 MB above the
// live heap, so ingest ran a full mark-compact every ~1 MB promoted — 27 per 384 MiB received,
// about half of the hub's CPU (docs/performance.md, "Hub ingest"). With the limit at four
// times the live heap a full backup runs two or three. Set at start; the flag is read each
// time V8 recomputes its limits.
import v8 from 'node:v8';

/** old generation limit after a full collection: live size × (1 + percent / 100) */
export const HEAP_GROWING_PERCENT = 300;

export function tuneHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
