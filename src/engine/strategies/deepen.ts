import { driverOver, type Driver, type Strategy, type StrategyOptions } from '../strategy.ts';

/**
 * Iterative deepening of the preemption bound, as CHESS does: every schedule with no
 * preemption, then every one with at most one, and so on up to the bound (or until
 * a level's search never had a choice cut by the bound: then every schedule at all
 * has run). Within a budget, shallow bugs come first; a budget that runs out in
 * level k still leaves every level below it proved. Each level reruns the schedules
 * of the levels below it: the price of a stateless search.
 */
export async function deepen(d: Driver, opts: StrategyOptions, level: (o: StrategyOptions) => Strategy): Promise<void> {
  const bound = opts.preemptions ?? Infinity;
  for (let k = 0; k <= bound; k++) {
    let done = false;
    let cut = false;
    const inner = driverOver(d, {
      exhausted: () => {
        done = true;
      },
    });
    await level({ ...opts, preemptions: k, deepen: false, onBoundCut: () => (cut = true) }).explore(inner);
    if (!done) return;
    d.extra.deepened = k;
    if (!cut) return d.exhausted();
    d.exhausted(k);
  }
}
