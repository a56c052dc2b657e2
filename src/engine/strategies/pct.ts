import seedrandom from 'seedrandom';
import type { ChoicePoint } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import type { Observations } from './observe.ts';

/**
 * Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010): each schedule
 * gives the threads random distinct priorities and always runs the highest enabled
 * one; at d-1 random steps the running thread drops below all others. A bug of depth
 * d among n threads and k steps turns up with probability at least 1/(n k^(d-1)) per
 * schedule. k is learnt: the longest schedule so far (the first runs with no change),
 * its own or, given `obs`, any the exploration ran (the portfolio's members share it).
 */
export function pctStrategy(opts: StrategyOptions, obs?: Observations): Strategy {
  const depth = opts.depth ?? 3;
  return {
    name: 'pct',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`pct:${opts.seed}`);
      let k = 0;
      while (d.more()) {
        // Change point i lowers the running thread to priority i < depth; initial
        // priorities lie in [depth, depth + 1).
        if (obs !== undefined && obs.steps > k) k = obs.steps;
        const changes: Array<{ step: number; prio: number }> = [];
        if (k > 0) for (let i = 1; i < depth; i++) changes.push({ step: 1 + Math.floor(rng() * k), prio: i });
        changes.sort((a, b) => a.step - b.step);
        const prio: number[] = [];
        let next = 0;
        const top = (cp: ChoicePoint): number => {
          let best = 0;
          for (let i = 1; i < cp.enabled.length; i++) if (prio[cp.enabled[i]!.id]! > prio[cp.enabled[best]!.id]!) best = i;
          return best;
        };
        const choose = (cp: ChoicePoint): number => {
          for (const t of cp.enabled) if (prio[t.id] === undefined) prio[t.id] = depth + rng();
          while (next < changes.length && changes[next]!.step <= cp.step) prio[cp.enabled[top(cp)]!.id] = changes[next++]!.prio;
          return top(cp);
        };
        const run = await d.runSchedule(choose);
        if (run.step > k) k = run.step;
      }
      d.extra.pctDepth = depth;
      d.extra.pctSteps = k;
    },
  };
}
