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
  return { damaged: p.damaged, suspect: p.suspect, fullyVerified: p.verifiedAt !== null && (p.verifiedFraction ?? 1) >= 1, restored: p.provenance.restored !== undefined };
}

export function trustOfView(p: PointView): TrustFacts {
  return { damaged: p.damaged, suspect: p.suspect, fullyVerified: (p.provenance.verified?.fraction ?? 0) >= 1, restored: p.provenance.restored !== null };
}

export function isClean(t: TrustFacts): boolean {
  return !t.damaged && !t.suspect && (t.fullyVerified || t.restored);
}

/**
 * The newest clean point of one volume's list in time order (oldest first), or null. Points
 * after the newest suspect one are built on what it changed: the last clean is before it.
 */
export function lastClean<P>(points: readonly P[], facts: (p: P) => TrustFacts): P | null {
  let start = points.length - 1;
  for (let i = points.length - 1; i >= 0; i--) {
    if (facts(points[i]!).suspect) {
      start = i - 1;
      break;
    }
  }
  for (let i = start; i >= 0; i--) if (isClean(facts(points[i]!))) return points[i]!;
  return null;
}

/** The newest point of a volume that is neither damaged nor suspect nor after a suspect one. */
export function lastUntainted<P>(points: readonly P[], facts: (p: P) => TrustFacts): P | null {
  return lastClean(points, (p) => ({ ...facts(p), fullyVerified: true }));
}

/** The compact ladder of a point for a table cell: D damaged, S suspect, then V/v (full/sample verify), R, B, A, X (drilled), C (copies). */
export function ladder(p: PointView): string {
  if (p.damaged) return 'DAMAGED';
  const v = p.provenance.verified;
  return [
    p.suspect ? 'S' : '',
    v ? (v.fraction >= 1 ? 'V' : 'v') : '·',
    p.provenance.restored ? 'R' : '·',
    p.provenance.booted ? 'B' : '·',
    p.provenance.appChecked ? 'A' : '·',
    p.provenance.drilled ? 'X' : '·',
    p.provenance.copies.length ? 'C' : '·',
  ].join('');
}
