// Strategy benchmark: how soon each strategy finds each small bug, and how many
// schedules dpor needs where plain dfs enumerates them all. `performance.now()` is
// fine here: it times runs, it never steers one.
import { explore, type Program, type StrategyName } from '../../src/engine/index.ts';
import { abba, counter, independent, oneConflict, ranges, tornRead } from '../../test/fixtures/programs.ts';

export interface FindRow {
  readonly strategy: StrategyName;
  readonly bug: string;
  /** Seeds (of `seeds`) whose exploration found the bug within the budget. */
  readonly found: number;
  readonly seeds: number;
  /** Medians over the seeds that found it; NaN when none did. */
  readonly medianSchedules: number;
  readonly medianMs: number;
}

export interface ReductionRow {
  readonly program: string;
  readonly dfsSchedules: number;
  readonly dporSchedules: number;
  readonly equivalenceClasses: number;
  /** Preemption bound, or 'none'. */
  readonly bound: number | 'none';
}

export interface StrategyBench {
  readonly find: FindRow[];
  readonly reduction: ReductionRow[];
}

const bugs: Array<[string, Program]> = [
  ['lost-update (depth 2)', counter(false)],
  ['torn-read (depth 3)', tornRead(false)],
  ['ab-ba deadlock (depth 2)', abba(false)],
];

/** The searching strategies (replay only follows a pinned schedule). */
const STRATEGIES: StrategyName[] = ['random', 'pct', 'pos', 'urw', 'guided', 'fastcheck', 'dpor', 'dfs', 'stress', 'portfolio'];

const clean: Program[] = [counter(true), tornRead(true), abba(true), oneConflict(), ranges(), independent(3, 2)];

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Exhaustive strategies ignore the seed: one run stands for all. */
const seeded = (s: StrategyName) => s !== 'dfs' && s !== 'dpor';

export async function benchStrategies(opts: { seeds?: number; budget?: number } = {}): Promise<StrategyBench> {
  const seeds = opts.seeds ?? 10;
  const budget = opts.budget ?? 20_000;
  const find: FindRow[] = [];
  for (const strategy of STRATEGIES) {
    for (const [bug, program] of bugs) {
      const schedules: number[] = [];
      const ms: number[] = [];
      for (let seed = 1; seed <= (seeded(strategy) ? seeds : 1); seed++) {
        const t0 = performance.now();
        const r = await explore(program, { strategy, seed, schedules: budget, shrink: false });
        const t = performance.now() - t0;
        if (r.findings.length === 0) continue;
        schedules.push(Number(r.stats.firstFindingAt));
        ms.push(t);
      }
      const n = seeded(strategy) ? seeds : 1;
      find.push({ strategy, bug, found: schedules.length, seeds: n, medianSchedules: median(schedules), medianMs: median(ms) });
    }
  }
  const reduction: ReductionRow[] = [];
  for (const program of [...clean, ...bugs.map(([, p]) => p)]) {
    for (const bound of [2, undefined]) {
      const all = { schedules: 10_000_000, stopOnFirst: false, shrink: false, preemptions: bound };
      const dfs = await explore(program, { ...all, strategy: 'dfs' });
      const dpor = await explore(program, { ...all, strategy: 'dpor' });
      reduction.push({
        program: program.name,
        bound: bound ?? 'none',
        dfsSchedules: dfs.stats.schedules,
        dporSchedules: dpor.stats.schedules,
        equivalenceClasses: Number(dpor.stats.equivalenceClasses),
      });
    }
  }
  return { find, reduction };
}
