import { followSchedule, sameSchedule, scheduleDifference, ScheduleDivergence } from '../schedule.ts';
import type { Schedule } from '../types.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';

/** Runs the program's pinned schedule strictly, after its prelude. A schedule that
 * no longer fits the program is reported as a `replay-diverged` finding, unless the
 * pin says how to confirm a fix (`confirm`): then explore() does that, and the
 * divergence is noted in the stats (`pinned`). */
export function replayStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'replay',
    async explore(d: Driver) {
      const pin = opts.pinned;
      if (pin === undefined) throw new Error("strategy 'replay' needs a pinned schedule (defineRegression)");
      // Strict following catches a wrong choice; the comparison catches a forced step
      // that went elsewhere.
      const follow = async (s: Schedule, record: boolean) => {
        const run = await d.runSchedule(followSchedule(s, true), d.params, { record });
        if (!sameSchedule(run.schedule(), s)) {
          throw new ScheduleDivergence(scheduleDifference(run.schedule(), s) ?? `ran ${run.step} steps / ${run.switches.length} switches, pinned ${s.steps} / ${s.switches.length}`);
        }
      };
      try {
        for (const p of pin.prelude ?? []) await follow(p, false);
        await follow(pin.schedule, true);
      } catch (e) {
        if (!(e instanceof ScheduleDivergence)) throw e;
        if (pin.confirm !== undefined) {
          d.extra.pinned = `the pinned schedule no longer fits: ${e.message}`;
          return;
        }
        d.report({
          kind: 'replay-diverged',
          message: `the pinned schedule no longer fits: ${e.message}`,
          step: 0,
          trace: [],
          schedule: pin.schedule,
        });
      }
    },
  };
}
