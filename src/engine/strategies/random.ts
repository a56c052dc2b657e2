import seedrandom from 'seedrandom';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';

/** Uniform random choice among the enabled threads at every step, seeded. */
export function randomStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'random',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`random:${opts.seed}`);
      const choose = (cp: { enabled: readonly unknown[] }) => Math.floor(rng() * cp.enabled.length);
      while (d.more()) await d.runSchedule(choose);
    },
  };
}
