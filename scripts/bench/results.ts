import type { ManyThreadsRow } from './many-threads.ts';
import type { StrategyBench } from './strategies.ts';
import type { SuiteBug, SuiteSettings } from './suite.ts';
// What one bench run measured, as bench/results.json stores it, and its goals.
import type { EngineFigures } from './engine.ts';
import type { ExhaustiveRow, Interleavings } from './exhaustive.ts';
import type { BugResult } from './finding.ts';
import type { ReviewResult } from './review.ts';
import type { HeapFigures, PoolFigures, VisitFigures } from './scale.ts';
import type { SplitFigures } from './split.ts';

export interface Settings {
  readonly seeds: number;
  readonly budget: number;
  readonly exhaustiveCapMs: number;
  readonly pool: { readonly strategy: string; readonly schedules: number; readonly seed: number };
  readonly suite: SuiteSettings;
}

/** The sections of a bench run; `--only` picks some. */
export const SECTIONS = ['engine', 'strategies', 'suite', 'finding', 'exhaustive', 'many-threads', 'scale', 'split', 'review'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Machine {
  readonly node: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly date: string;
}

export interface Results {
  /** Where and when the latest run ran. */
  readonly machine: Machine;
  /** Where and when each section was last measured: a run with `--only` keeps the
   * other sections, and their machine and date, from the run before. */
  readonly measured?: Partial<Record<Section, Machine>>;
  readonly settings: Settings;
  readonly engine: EngineFigures;
  readonly finding: readonly BugResult[];
  readonly exhaustive: readonly ExhaustiveRow[];
  readonly interleavings: readonly Interleavings[];
  readonly scale: {
    readonly pool: readonly PoolFigures[];
    readonly speedup: number;
    readonly heap: HeapFigures;
    readonly visits: readonly VisitFigures[];
  };
  readonly goals: readonly Goal[];
  /** Issue 3's small programs: schedules to the first finding per strategy, and dpor against dfs. */
  readonly strategies?: StrategyBench;
  /** Issue 16: the ported public suite (bench/suite), per strategy, portfolio and fc.scheduler. */
  readonly suite?: readonly SuiteBug[];
  /** Issue 16: dpor's cost per schedule against dfs's with many threads. */
  readonly manyThreads?: readonly ManyThreadsRow[];
  /** Issue 15: one large scenario, split, on 1 and 2 workers. */
  readonly split?: SplitFigures;
  /** Issue 12: the review bugs, random against the default portfolio. */
  readonly review?: readonly ReviewResult[];
}

export interface Goal {
  readonly goal: string;
  readonly met: boolean;
  readonly figure: string;
}

/** The four goals, judged on the figures (never asserted anywhere). */
export function goals(r: Omit<Results, 'goals'>, v5: string): Goal[] {
  const bugsMet = r.finding.filter((b) => b.met).length;
  const fast = r.finding.filter((b) => (b.rows.find((x) => x.who === b.best)?.medianMs ?? Infinity) < 1000).length;
  const v5rows = r.exhaustive.filter((x) => x.scenario === v5);
  const proof = v5rows.find((x) => x.bound === 'none') ?? v5rows[0]!;
  const [one, two] = [r.scale.pool.find((p) => p.workers === 1)!, r.scale.pool.find((p) => p.workers === 2)!];
  return [
    { goal: 'engine >= 5x fc.scheduler', met: r.engine.ratio >= 5, figure: `${r.engine.ratio.toFixed(2)}x` },
    {
      goal: 'each bug: best < 1 s, >= 10x fewer than baselines',
      met: bugsMet === r.finding.length,
      figure: `${bugsMet}/${r.finding.length} bugs meet both; ${fast}/${r.finding.length} under 1 s`,
    },
    {
      goal: `dpor >= 10x fewer than dfs on ${v5}, < 60 s`,
      met: proof.dpor.complete && proof.dpor.ms < 60_000 && proof.reduction >= 10,
      figure: `${proof.dfs.complete ? '' : '>= '}${proof.reduction.toFixed(1)}x (no preemption bound), dpor done in ${(proof.dpor.ms / 1000).toFixed(2)} s`,
    },
    { goal: '2 workers >= 1.7x the throughput of 1', met: r.scale.speedup >= 1.7, figure: `${r.scale.speedup.toFixed(2)}x (${one.schedulesPerSec.toFixed(0)} -> ${two.schedulesPerSec.toFixed(0)} schedules/s)` },
  ];
}
