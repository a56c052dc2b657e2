// How the bench judges the ported suite: by the median over every seed, a miss
// counting as more than the budget, so that one lucky seed of five makes no median.
import { describe, expect, it } from 'vitest';
import { judge, type SuiteRow, type SuiteWho } from '../../scripts/bench/suite.ts';
import { median } from '../../scripts/bench/stats.ts';

/** A row from the schedules each seed needed (null: not found). */
function row(who: SuiteWho, perSeed: Array<number | null>): SuiteRow {
  const hits = perSeed.filter((n): n is number => n !== null);
  return {
    who,
    found: hits.length,
    seeds: perSeed.length,
    medianSchedules: median(hits),
    medianMs: median(hits),
    medianAll: median(perSeed.map((n) => n ?? Infinity)),
    medianMsAll: median(perSeed.map((n) => n ?? Infinity)),
    perSeed,
  };
}

const misses = (n: number) => new Array<null>(n).fill(null);

describe('judge', () => {
  it('ranks a strategy that one seed of five found below one that most found, and compares the portfolio with it', () => {
    const rows = [
      row('pos', [40_000, ...misses(4)]),
      row('guided', [45_000, 30_000, null, 60_000, 50_000]),
      row('random', misses(5)),
      row('portfolio', [50_000, 20_000, null, 60_000, 49_000]),
      row('fc.scheduler', misses(5)),
    ];
    const j = judge(rows);
    expect(j.best).toBe('guided');
    expect(j.goals).toEqual({ found: true, withinTwiceBest: true, tenthOfFc: null });
  });

  it('misses the goals when the portfolio needs more than twice the best, or more than a tenth of fc.scheduler, or most seeds miss', () => {
    const j = judge([row('urw', [3, 2, 3, 4, 3]), row('portfolio', [7, 8, 6, 9, 7]), row('fc.scheduler', [50, 60, 40, 70, 65])]);
    expect(j.best).toBe('urw');
    expect(j.goals).toEqual({ found: true, withinTwiceBest: false, tenthOfFc: false });
    const k = judge([row('urw', [3, 2, 3, 4, 3]), row('portfolio', [1, 1, null, null, null]), row('fc.scheduler', misses(5))]);
    expect(k.goals).toEqual({ found: false, withinTwiceBest: false, tenthOfFc: null });
  });
});
