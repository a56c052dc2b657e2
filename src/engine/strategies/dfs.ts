import type { ChoicePoint, Run } from '../run.ts';
import type { SimThread } from '../thread.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import { deepen } from './deepen.ts';

/**
 * Plain depth-first enumeration of every schedule (stateless: each schedule re-runs
 * from the start along a recorded prefix). With a preemption bound it skips the
 * choices that would switch away from a thread that could have gone on. With
 * `prefix` (a work item of a split exploration, split.ts) the first choices are
 * fixed and only the subtree below them is enumerated.
 */
export function dfsStrategy(opts: StrategyOptions): Strategy {
  const bound = opts.preemptions ?? Infinity;
  return {
    name: 'dfs',
    async explore(d: Driver) {
      if (opts.deepen === true) return deepen(d, opts, dfsStrategy);
      const r = await dfsWalk(d, { bound, fixed: opts.prefix, onBoundCut: opts.onBoundCut });
      // A bound that never cut a choice left every schedule in: that is a full proof.
      if (r.exhausted) d.exhausted(r.cut ? bound : undefined);
    },
  };
}

export interface WalkOptions {
  readonly bound: number;
  /** Thread ids chosen at the first choice points (where more than one thread could
   * run), in order: fixed, never backtracked into. */
  readonly fixed?: readonly number[];
  /** Enumerate the alternatives of only this many choice points after the fixed
   * ones (counting those where the bound leaves more than one thread); past them
   * every run goes on without preempting (choice 0). Default: all. */
  readonly frames?: number;
  readonly onBoundCut?: () => void;
  /** Each run, with the thread ids chosen at its choice points up to its last
   * enumerated frame (the fixed ones included; none past `frames`), and what the
   * split's planner weighs a prefix by: the preemptions the run made (all within the
   * recorded choices: past them it never preempts) and its choice points in all. */
  readonly onRun?: (run: Run, chosen: readonly number[], frames: number, shape: RunShape) => void;
}

/** A walked run's preemptions and choice points (WalkOptions.onRun). */
export interface RunShape {
  readonly preempted: number;
  readonly points: number;
}

/** The walk itself: whether it ran out of schedules to try (rather than being
 * stopped by the driver), and whether the bound cut a choice on the way. */
export async function dfsWalk(d: Driver, w: WalkOptions): Promise<{ exhausted: boolean; cut: boolean }> {
  const bound = w.bound;
  const fixed = w.fixed ?? [];
  const F = fixed.length;
  const frames = w.frames ?? Infinity;
  // One frame per enumerated choice point: the choice taken and how many there were.
  const taken: number[] = [];
  let cut = false;
  const width: number[] = [];
  for (;;) {
    if (!d.more()) return { exhausted: false, cut };
    let depth = 0;
    /** Enumerated frames so far: choice points past the fixed ones where the bound
     * allows more than one thread (one that allows only one is no frame). */
    let nb = 0;
    let preempted = 0;
    let diverged = false;
    const chosen: number[] = [];
    const choose = (cp: ChoicePoint): number => {
      // The owner, not the previous thread: a free thread (a fault injector) in
      // between costs no preemption either way (Run.decide(), SimThread.free).
      const cur = cp.owner === null ? -1 : cp.enabled.indexOf(cp.owner);
      // Order: keep the current thread first, so choice 0 never preempts; then
      // the free threads, which never preempt either.
      const order = freeFirst(cp.enabled, cur);
      let allowed = cp.enabled.length;
      if (cur >= 0 && preempted >= bound && allowed > 1) {
        allowed = 1 + freeCount(cp.enabled, cur);
        if (allowed < cp.enabled.length) {
          cut = true;
          w.onBoundCut?.();
        }
      }
      const f = depth - F;
      let k = 0;
      let record = true;
      if (f < 0) {
        // A fixed choice: the thread the prefix names.
        const want = cp.enabled.findIndex((t) => t.id === fixed[depth]);
        if (want < 0) diverged = true;
        else while (order(k) !== want) k++;
      } else if (nb >= frames) {
        // Past the enumerated frames: on without preempting.
        record = false;
      } else if (allowed > 1) {
        if (nb === taken.length) {
          taken.push(0);
          width.push(allowed);
        }
        k = taken[nb]!;
        nb++;
      }
      depth++;
      const i = order(k);
      if (record) chosen.push(cp.enabled[i]!.id);
      if (cur >= 0 && k > 0 && !cp.enabled[i]!.free) preempted++;
      return i;
    };
    const run = await d.runSchedule(choose);
    if (diverged || depth < F) throw new Error('dfs: a fixed prefix chose a thread that cannot run: the program is not deterministic');
    w.onRun?.(run, chosen, nb, { preempted, points: depth });
    // Backtrack: drop exhausted frames past the run's end, then advance the deepest.
    taken.length = nb;
    width.length = nb;
    while (taken.length > 0 && taken[taken.length - 1]! + 1 >= width[width.length - 1]!) {
      taken.pop();
      width.pop();
    }
    if (taken.length === 0) return { exhausted: true, cut };
    taken[taken.length - 1]!++;
  }
}

/** The free threads enabled besides the owner at `cur`. */
function freeCount(enabled: readonly SimThread[], cur: number): number {
  let n = 0;
  for (let i = 0; i < enabled.length; i++) if (i !== cur && enabled[i]!.free) n++;
  return n;
}

/** Choice k -> index into `enabled`: the owner first (when enabled), then the free
 * threads, then the rest, each in thread order. Without free threads this is the
 * plain rotation that puts `cur` first. */
function freeFirst(enabled: readonly SimThread[], cur: number): (k: number) => number {
  if (freeCount(enabled, cur) === 0) return (k) => (cur < 0 ? k : k === 0 ? cur : k <= cur ? k - 1 : k);
  const order: number[] = cur < 0 ? [] : [cur];
  for (let i = 0; i < enabled.length; i++) if (i !== cur && enabled[i]!.free) order.push(i);
  for (let i = 0; i < enabled.length; i++) if (i !== cur && !enabled[i]!.free) order.push(i);
  return (k) => order[k]!;
}
