// The table rows of the ported suite: one per bug and strategy, then the portfolio's
// three goals per bug, judged on the figures (never asserted anywhere).
import type { SuiteBug } from './suite.ts';
import { count, ms } from './stats.ts';

const verdict = (x: boolean | null, none: string) => (x === null ? none : x ? 'met' : 'MISSED');

export function suiteRows(bugs: readonly SuiteBug[]): string[][] {
  const out: string[][] = [];
  for (const b of bugs) {
    for (const x of b.rows) {
      const seeds = x.seeds === 1 ? 'deterministic, 1 run' : `${x.found}/${x.seeds} seeds`;
      const what = x.who === 'fc.scheduler' ? 'runs' : 'schedules';
      const by = x.members === undefined || x.members.length === 0 ? '' : `; found by ${x.members.join(', ')}`;
      // The median over every seed; a strategy most seeds missed shows where the rest found it.
      const figure =
        x.found === 0
          ? `not found in ${count(b.budget)} ${what} (${seeds})`
          : Number.isFinite(x.medianAll)
            ? `${count(x.medianAll)} ${what}, ${ms(x.medianMsAll)} (${seeds})${by}`
            : `median: not found in ${count(b.budget)} ${what}; ${seeds} found it, at ${x.perSeed.filter((n) => n !== null).map((n) => count(n!)).join(', ')}${by}`;
      out.push(['suite', b.bug, x.who, figure, '']);
    }
    const g = b.goals;
    out.push(['suite', b.bug, 'portfolio goals', `best single: ${b.best ?? 'none'}`, `finds it (most seeds): ${g.found ? 'met' : 'MISSED'}; <= 2x best: ${verdict(g.withinTwiceBest, 'no single found it')}; <= 1/10 fc.scheduler: ${verdict(g.tenthOfFc, 'fc.scheduler did not find it')}`]);
  }
  return out;
}
