// The one rule of a "clean" point: no damage, and proven whole — fully verified (which reads
// its whole chain's image) or restored with a passing Merkle check. Drills and failovers
// offer the newest clean point first; the cockpit marks it.
import type { PointRow } from '../catalog/catalog.js';
import type { PointView } from '../protocol/operator.js';

/** The facts the rule reads, from a catalog row or an API view alike. */
export interface TrustFacts {
  damaged: boolean;
  suspect?: boolean;
  fullyVerified: boolean;
  restored: boolean;
}

export function trustOfRow(p: PointRow): TrustFacts {
  return { damaged: p.damaged, fullyVerified: p.verifiedAt !== null && (p.verifiedFraction ?? 1) >= 1, restored: p.provenance.restored !== undefined };
}

export function trustOfView(p: PointView): TrustFacts {
  return { damaged: p.damaged, fullyVerified: (p.provenance.verified?.fraction ?? 0) >= 1, restored: p.provenance.restored !== null };
}

export function isClean(t: TrustFacts): boolean {
  return !t.damaged && !t.suspect && (t.fullyVerified || t.restored);
}

/** The newest clean point of a list in time order (oldest first), or null. */
export function lastClean<P>(points: readonly P[], facts: (p: P) => TrustFacts): P | null {
  for (let i = points.length - 1; i >= 0; i--) if (isClean(facts(points[i]!))) return points[i]!;
  return null;
}

/** The compact ladder of a point for a table cell: D damaged, then V/v (full/sample verify), R, B, A, X (drilled), C (copies). */
export function ladder(p: PointView): string {
  if (p.damaged) return 'DAMAGED';
  const v = p.provenance.verified;
  return [
    v ? (v.fraction >= 1 ? 'V' : 'v') : '·',
    p.provenance.restored ? 'R' : '·',
    p.provenance.booted ? 'B' : '·',
    p.provenance.appChecked ? 'A' : '·',
    p.provenance.drilled ? 'X' : '·',
    p.provenance.copies.length ? 'C' : '·',
  ].join('');
}
