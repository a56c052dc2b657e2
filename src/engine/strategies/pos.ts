import seedrandom from 'seedrandom';
import { conflicts, footprintOf } from '../dpor/footprint.ts';
import type { ChoicePoint } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import type { Footprint, Op } from '../types.ts';

/** What a pending operation touches, as POS sees it. A parameter so that recorded
 * footprints can replace the declared ones. */
export type FootprintFn = (op: Op) => readonly Footprint[];

/**
 * Partial order sampling (Yuan, Yang and Gu, CAV 2018), as Fray implements it: every
 * pending operation has a random priority, drawn when first seen; an operation that
 * races with nothing (empty footprint, e.g. `start`) runs first, else the one of
 * least priority runs. After it runs, the next operation of its thread and every
 * pending operation that races with it (conflicting footprints) draw new
 * priorities. Reordering only racing operations samples partial orders far more
 * evenly than uniform random choice does, which favours bugs whose racing steps are
 * spread among many independent ones.
 */
export function posStrategy(opts: StrategyOptions, footprint: FootprintFn = footprintOf): Strategy {
  return {
    name: 'pos',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`pos:${opts.seed}`);
      while (d.more()) {
        // Priority of each thread's pending operation by thread id; NaN: none drawn.
        const prio: number[] = [];
        const choose = (cp: ChoicePoint): number => {
          const en = cp.enabled;
          let best = -1;
          let free = false;
          for (let i = 0; i < en.length; i++) {
            const id = en[i]!.id;
            if (!(prio[id]! >= 0)) prio[id] = rng();
            const racing = footprint(en[i]!.pending).length > 0;
            // A racing-free operation beats every racing one; then least priority.
            if (best < 0 || (!racing && !free) || (!racing === free && prio[id]! < prio[en[best]!.id]!)) {
              best = i;
              free = !racing;
            }
          }
          const chosen = en[best]!;
          prio[chosen.id] = NaN;
          if (!free) {
            const fp = footprint(chosen.pending);
            for (const t of en) if (t !== chosen && conflicts(footprint(t.pending), fp)) prio[t.id] = NaN;
          }
          return best;
        };
        await d.runSchedule(choose);
      }
    },
  };
}
