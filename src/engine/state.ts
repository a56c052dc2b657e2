// A report's state difference: the values of what a failed check read, before the
// step that broke it and after. The engine describes its own tracked cells and
// objects; the layers above add describers for the state they record (the model's
// keys). Only traced runs (replays) ever call these.
import type { Footprint } from './types.ts';

/** The value of the state `fp` names, one line (e.g. `0x40000: 2M leaf`); null when
 * the describer does not know the key. */
export type Describer = (fp: Footprint) => string | null;

/** `key[lo, hi)` as a report names a footprint. */
export function footprintLabel(fp: Footprint): string {
  if (fp.range === undefined) return fp.key;
  const [lo, hi] = fp.range;
  return hi === lo + 1 ? `${fp.key}[0x${lo.toString(16)}]` : `${fp.key}[0x${lo.toString(16)}, 0x${hi.toString(16)})`;
}

/** Each key and range once, in order of first access, reads and writes alike. */
export function uniqueFootprints(fps: readonly Footprint[]): Footprint[] {
  const seen = new Set<string>();
  const out: Footprint[] = [];
  for (const fp of fps) {
    const label = footprintLabel(fp);
    if (seen.has(label)) continue;
    seen.add(label);
    out.push(fp.range === undefined ? { key: fp.key } : { key: fp.key, range: fp.range });
  }
  return out;
}

/** What describeState() says of a key no describer knows. */
export const UNKNOWN = '?';

/** The value of each footprint, as the first describer that knows its key says;
 * UNKNOWN when none does. */
export function describeState(describers: readonly Describer[], fps: readonly Footprint[]): string[] {
  return fps.map((fp) => {
    for (const d of describers) {
      const v = d(fp);
      if (v !== null) return v;
    }
    return UNKNOWN;
  });
}

/** `w` when some access of `fps` to the key and range of `x` writes, else `r`. */
export function accessOf(fps: readonly Footprint[], x: Footprint): 'r' | 'w' {
  const label = footprintLabel(x);
  return fps.some((f) => f.access !== 'read' && footprintLabel(f) === label) ? 'w' : 'r';
}
