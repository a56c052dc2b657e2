import seedrandom from 'seedrandom';
import type { RunOptions } from '../run.ts';
import { StressRun } from '../stress/run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import type { Finding } from '../types.ts';

/** Stress runs have no choices to make. */
const NO_CHOICE = (): number => 0;

/**
 * Plain stress testing: each run lets the threads race on the event loop, on real
 * locks, with seeded random yields (StressRun). No schedule is chosen or recorded
 * as choices, so it shows how rarely plain testing hits a bug. A finding keeps its
 * trace (the order the points ran in) and is marked `replayable: false`; shrinking
 * turns it into a replayable schedule when a deterministic replay reproduces it.
 */
export function stressStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'stress',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`stress:${opts.seed}`);
      // Detailed: a stress run's finding has no schedule to run again for its detail.
      const backend = (o: RunOptions) => new StressRun({ ...o, detailed: true }, rng);
      let runs = 0;
      while (d.more()) {
        const run = await d.runSchedule(NO_CHOICE, d.params, { backend, record: false });
        runs++;
        if (run.finding !== null) d.report(marked(run.finding, runs, opts.seed));
      }
      d.extra.stressRuns = runs;
    },
  };
}

/** A stress finding, said to be a trace and not a schedule. */
function marked(f: Finding, run: number, seed: number | string): Finding {
  return {
    ...f,
    message: `${f.message} [stress run ${run}: a trace of the order the points ran in on real locks, not a chosen schedule; replay is not guaranteed]`,
    details: { ...f.details, replayable: false, stress: { seed, run } },
  };
}
