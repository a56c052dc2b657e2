import type { Footprint, Op } from '../types.ts';

const NONE: readonly Footprint[] = [];

/** The key of a step that may have touched anything: state no footprint names. It
 * conflicts with every access. */
export const ANY_KEY = '*';
/** A write of anything: what a step of a program with untracked state is. */
export const ANY_WRITE: Footprint = { key: ANY_KEY, access: 'write' };
/** A read of anything: what a check that recorded no read is taken to read. */
export const ANY_READ: Footprint = { key: ANY_KEY, access: 'read' };

/** What a point declares: its footprint, else a write of its object, else nothing. */
export function footprintOf(op: Op): readonly Footprint[] {
  if (op.footprint !== undefined) return op.footprint;
  return op.obj === undefined ? NONE : [{ key: op.obj, access: 'write' }];
}

/** Two footprints conflict when they share a key (the wildcard shares every key), at
 * least one writes (an access left unsaid counts as a write), and their ranges, when
 * both have one, overlap. */
export function conflicts(a: readonly Footprint[], b: readonly Footprint[]): boolean {
  for (const x of a) for (const y of b) if (clash(x, y)) return true;
  return false;
}

/** Whether two accesses conflict. */
export function clash(x: Footprint, y: Footprint): boolean {
  if (x.access === 'read' && y.access === 'read') return false;
  if (x.key !== y.key) return x.key === ANY_KEY || y.key === ANY_KEY;
  return x.range === undefined || y.range === undefined || (x.range[0] < y.range[1] && y.range[0] < x.range[1]);
}
