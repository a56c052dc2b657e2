import seedrandom from 'seedrandom';
import type { ChoicePoint, Chooser } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import { Observations } from './observe.ts';

/**
 * One schedule of uniform random walk: each enabled thread runs with a probability
 * proportional to the events it has left, its own steps still to come plus those of
 * the threads it has yet to spawn. With exact counts every interleaving is equally
 * likely, where a plain random walk favours those that switch early: a thread with
 * many steps left is rarely starved while a short one races ahead. The counts are
 * estimates from earlier runs (`obs`); a spawn moves the child's share from its
 * parent to the child; a count never falls below 1 while its thread can run.
 */
export function urwChooser(rng: () => number, obs: Observations): Chooser {
  const left: number[] = [];
  /** Threads given a count so far, and steps taken into account. */
  let known = 0;
  let seen = 0;
  return (cp: ChoicePoint): number => {
    const run = cp.run;
    // Steps since the last choice point, the forced ones included.
    for (; seen < cp.step; seen++) {
      const id = run.choices[seen]!;
      left[id] = Math.max(1, left[id]! - 1);
    }
    for (; known < run.threads.length; known++) {
      const t = run.threads[known]!;
      const share = Math.max(1, obs.eventsOf(t.name));
      left[known] = share;
      if (t.parent !== null) left[t.parent.id] = Math.max(1, left[t.parent.id]! - share);
    }
    const en = cp.enabled;
    let sum = 0;
    for (let i = 0; i < en.length; i++) sum += left[en[i]!.id]!;
    let x = rng() * sum;
    for (let i = 0; i < en.length - 1; i++) {
      x -= left[en[i]!.id]!;
      if (x < 0) return i;
    }
    return en.length - 1;
  };
}

/**
 * Uniform random walk (URW; Zhao, Wolff, Mathur and Roychoudhury, "Selectively
 * Uniform Concurrency Testing", ASPLOS 2025; Shuttle and Fray ship it): samples
 * interleavings uniformly, given how many events each thread has (`urwChooser`).
 * Those are learnt as it goes: the first schedule, knowing nothing, is a plain
 * random walk; every finished run raises the counts to the most seen.
 */
export function urwStrategy(opts: StrategyOptions, obs = new Observations()): Strategy {
  return {
    name: 'urw',
    async explore(d: Driver) {
      const rng = seedrandom.alea(`urw:${opts.seed}`);
      while (d.more()) obs.record(await d.runSchedule(urwChooser(rng, obs)));
    },
  };
}
