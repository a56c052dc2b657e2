import type { Footprint, Op } from '../types.ts';

const NONE: readonly Footprint[] = [];

/** What a step touches: its declared footprint, else a write of its object, else nothing. */
export function footprintOf(op: Op): readonly Footprint[] {
  if (op.footprint !== undefined) return op.footprint;
  return op.obj === undefined ? NONE : [{ key: op.obj, access: 'write' }];
}

/** Two footprints conflict when they share a key, at least one writes (an access
 * left unsaid counts as a write), and their ranges, when both have one, overlap. */
export function conflicts(a: readonly Footprint[], b: readonly Footprint[]): boolean {
  for (const x of a) for (const y of b) if (clash(x, y)) return true;
  return false;
}

/** Whether two accesses conflict. */
export function clash(x: Footprint, y: Footprint): boolean {
  if (x.key !== y.key || (x.access === 'read' && y.access === 'read')) return false;
  return x.range === undefined || y.range === undefined || (x.range[0] < y.range[1] && y.range[0] < x.range[1]);
}
