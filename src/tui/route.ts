// Where the cockpit can be: one entry of the view stack. Each view's file declares the
// parameters of its kind by adding to ViewParams (see views/registry.ts), so a new view
// touches no list here.

/** View kind → the parameters a view of that kind is opened with. */
export interface ViewParams {}

export type ViewKind = keyof ViewParams;
export type ViewRef = { [K in ViewKind]: { kind: K } & Readonly<ViewParams[K]> }[ViewKind];
export type ViewOf<K extends ViewKind> = Extract<ViewRef, { kind: K }>;

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

/** Same kind and the same parameters: opening it again does not stack a second copy. */
export function sameView(a: ViewRef, b: ViewRef): boolean {
  if (a.kind !== b.kind) return false;
  const pa = a as Readonly<Record<string, unknown>>;
  const pb = b as Readonly<Record<string, unknown>>;
  const keys = new Set([...Object.keys(pa), ...Object.keys(pb)]);
  return [...keys].every((k) => sameValue(pa[k], pb[k]));
}
