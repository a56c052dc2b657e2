import seedrandom from 'seedrandom';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import { Corpus, guidance } from './corpus.ts';
import { Observations } from './observe.ts';
import { urwChooser } from './urw.ts';

/**
 * URW with coverage-guided prefixes (`Corpus`): schedules that reach a new control
 * state are kept, and once the first `WARM_UP` schedules found nothing, a growing
 * share of schedules (up to 3/4) follows a kept one's choices to some step past its
 * new state and walks on from there. For bugs that need a chain of unlikely steps
 * (SCTBench's SafeStack: a stale compare-and-swap after two other threads' pops and
 * pushes) this finds in tens of thousands of schedules what POS, the best plain
 * sampler there, finds in about a million.
 */
export function guidedStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'guided',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`guided:${opts.seed}`);
      const obs = new Observations();
      const corpus = new Corpus();
      for (let n = 0; d.more(); n++) {
        const g = corpus.guide(urwChooser(rng, obs), rng, guidance(n));
        const run = await d.runSchedule(g.chooser);
        g.done(run);
        obs.record(run);
      }
      d.extra.corpus = corpus.size;
      d.extra.controlStates = corpus.states;
    },
  };
}
