// Balancing a split's prefixes (split.ts). Cut at one depth, a bounded tree's items
// are far from equal: the prefixes that used no preemption keep the whole bound for
// their subtree, and a handful of them hold most of the schedules (dfs within 2
// preemptions of a 3-thread scenario: 3 of 69 items held 82% of them), so two
// workers wait on the last big item. Here the heaviest items are cut one choice
// point deeper, in place, until none outweighs its share. The weight is only an
// estimate and only decides where to cut: any set of prefixes that covers the tree
// once, in dfs order, gives the whole exploration's result (split.ts).
import type { Driver } from './strategy.ts';
import { dfsWalk, type RunShape } from './strategies/dfs.ts';

/** A prefix of the plan, with what its weight is estimated from. */
export interface PlannedPrefix {
  readonly prefix: readonly number[];
  /** Enumerated choice points (frames) in the prefix. */
  readonly frames: number;
  /** Preemptions the prefix made, and the choice points of the run that went on
   * from it without preempting. */
  readonly shape: RunShape;
}

/** The schedules below a prefix, roughly: the ways to place the preemptions left
 * among the choice points left, each with one alternative (2^n unbounded). */
export function prefixWeight(p: PlannedPrefix, bound: number): number {
  const n = Math.max(0, p.shape.points - p.prefix.length);
  const left = Math.min(n, bound - p.shape.preempted);
  let w = 0;
  let c = 1; // C(n, j)
  for (let j = 0; j <= left; j++) {
    w += c;
    c = (c * (n - j)) / (j + 1);
  }
  return w;
}

export interface Refined {
  readonly prefixes: PlannedPrefix[];
  /** Schedules run to refine. */
  readonly runs: number;
  /** A refining walk had a choice cut by the bound. */
  readonly cut: boolean;
}

/**
 * Cuts the heaviest prefix one choice point deeper (replacing it, in place, by its
 * children in dfs order) while it weighs more than 1/`target` of the whole, up to
 * `maxItems` items and `maxRuns` schedules. A prefix with no choice below it stays.
 */
export async function refinePrefixes(d: Driver, start: readonly PlannedPrefix[], bound: number, target: number, maxItems: number, maxRuns: number): Promise<Refined> {
  const items = [...start];
  const weights = items.map((p) => prefixWeight(p, bound));
  const leaf = new Set<PlannedPrefix>();
  let runs = 0;
  let cut = false;
  while (items.length < maxItems && runs < maxRuns) {
    let total = 0;
    let h = -1;
    for (let i = 0; i < items.length; i++) {
      total += weights[i]!;
      if (!leaf.has(items[i]!) && (h < 0 || weights[i]! > weights[h]!)) h = i;
    }
    if (h < 0 || weights[h]! * target <= total) break;
    const parent = items[h]!;
    const children: PlannedPrefix[] = [];
    await dfsWalk(d, {
      bound,
      fixed: parent.prefix,
      frames: 1,
      onBoundCut: () => (cut = true),
      onRun: (_run, chosen, frames, shape) => children.push({ prefix: [...chosen], frames: parent.frames + frames, shape }),
    });
    runs += children.length;
    if (children.length <= 1) {
      leaf.add(parent);
      continue;
    }
    items.splice(h, 1, ...children);
    weights.splice(h, 1, ...children.map((p) => prefixWeight(p, bound)));
  }
  return { prefixes: items, runs, cut };
}
