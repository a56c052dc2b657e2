import type { ChoicePoint } from '../run.ts';
import type { SimThread } from '../thread.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import { deepen } from './deepen.ts';

/**
 * Plain depth-first enumeration of every schedule (stateless: each schedule re-runs
 * from the start along a recorded prefix). With a preemption bound it skips the
 * choices that would switch away from a thread that could have gone on.
 */
export function dfsStrategy(opts: StrategyOptions): Strategy {
  const bound = opts.preemptions ?? Infinity;
  return {
    name: 'dfs',
    async explore(d: Driver) {
      if (opts.deepen === true) return deepen(d, opts, dfsStrategy);
      // One frame per branching step: the choice taken and how many there were.
      const taken: number[] = [];
      // A bound that never cut a choice left every schedule in: that is a full proof.
      let cut = false;
      const width: number[] = [];
      for (;;) {
        if (!d.more()) return;
        let depth = 0;
        let preempted = 0;
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
              opts.onBoundCut?.();
            }
          }
          if (depth === taken.length) {
            taken.push(0);
            width.push(allowed);
          }
          const k = taken[depth]!;
          depth++;
          const i = order(k);
          if (cur >= 0 && k > 0 && !cp.enabled[i]!.free) preempted++;
          return i;
        };
        await d.runSchedule(choose);
        // Backtrack: drop exhausted frames past the run's end, then advance the deepest.
        taken.length = depth;
        width.length = depth;
        while (taken.length > 0 && taken[taken.length - 1]! + 1 >= width[width.length - 1]!) {
          taken.pop();
          width.pop();
        }
        if (taken.length === 0) {
          d.exhausted(cut ? bound : undefined);
          return;
        }
        taken[taken.length - 1]!++;
      }
    },
  };
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
