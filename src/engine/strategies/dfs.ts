import type { ChoicePoint } from '../run.ts';
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
          const cur = cp.current === null ? -1 : cp.enabled.indexOf(cp.current);
          // Order: keep the current thread first, so choice 0 never preempts.
          const order = (k: number) => (cur < 0 ? k : k === 0 ? cur : k <= cur ? k - 1 : k);
          let allowed = cp.enabled.length;
          if (cur >= 0 && preempted >= bound && allowed > 1) {
            allowed = 1;
            cut = true;
            opts.onBoundCut?.();
          }
          if (depth === taken.length) {
            taken.push(0);
            width.push(allowed);
          }
          const k = taken[depth]!;
          depth++;
          if (cur >= 0 && k > 0) preempted++;
          return order(k);
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
