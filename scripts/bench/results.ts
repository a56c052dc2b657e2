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
import { ISSUE_15_BASELINE, type ModelRow, type ProfileSplit } from './model.ts';

export interface Settings {
  readonly seeds: number;
  readonly budget: number;
  readonly exhaustiveCapMs: number;
  readonly pool: { readonly strategy: string; readonly schedules: number; readonly seed: number };
  readonly suite: SuiteSettings;
  /** Issue 15's model figures: strategy, schedules and seed of each scenario, and the
   * schedules of the profiled exploration. */
  readonly model: { readonly strategy: string; readonly schedules: number; readonly seed: number; readonly profileSchedules: number };
}

/** The sections of a bench run; `--only` picks some. */
export const SECTIONS = ['engine', 'model', 'strategies', 'suite', 'finding', 'exhaustive', 'many-threads', 'scale', 'split', 'review'] as const;
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
  /** Issue 15: model steps per second, per scenario. */
  readonly model?: readonly ModelRow[];
  /** Issue 15: where a model exploration's time goes. */
  readonly profile?: ProfileSplit;
  /** Issue 15's goals (its one-scenario-across-workers goal is another session's). */
  readonly goals15?: readonly Goal[];
}

export interface Goal {
  readonly goal: string;
  readonly met: boolean;
  readonly figure: string;
}

/** The issue's four goals, judged on the figures (never asserted anywhere). */
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

/** Issue 15's goals on this run's figures (never asserted anywhere): the model at a
 * million steps per second on v5-44-fixed, 15 times the issue's schedules per second
 * on each fixed twin, GC under 10% of the profile, the engine at 90% of the floor. */
export function goals15(r: Omit<Results, 'goals' | 'goals15'>, v5: string): Goal[] {
  const model = r.model ?? [];
  const row = (name: string) => model.find((m) => m.label === name);
  const v5row = row(v5);
  const out: Goal[] = [];
  if (v5row !== undefined) {
    out.push({ goal: `model >= 1 M steps/s on ${v5} (random)`, met: v5row.stepsPerSec >= 1e6, figure: `${(v5row.stepsPerSec / 1000).toFixed(1)} k steps/s` });
  }
  for (const [name, base] of Object.entries(ISSUE_15_BASELINE)) {
    const m = row(name);
    if (m === undefined) continue;
    const x = m.schedulesPerSec / base;
    out.push({ goal: `>= 15x issue 15's schedules/s on ${name}`, met: x >= 15, figure: `${x.toFixed(2)}x (${m.schedulesPerSec.toFixed(0)} vs ${base} schedules/s)` });
  }
  if (r.profile !== undefined) {
    out.push({ goal: 'GC < 10% of the profile', met: r.profile.gc < 0.1, figure: `${(100 * r.profile.gc).toFixed(1)}% (${r.profile.scenario}, ${r.profile.schedules} schedules)` });
  }
  if (r.split !== undefined) {
    const f = r.split;
    out.push({ goal: 'one scenario on 2 workers >= 1.7x 1 worker, same record', met: f.speedup >= 1.7 && f.identical, figure: `${f.speedup.toFixed(2)}x, ${f.identical ? 'identical records' : 'RECORDS DIFFER'} (${f.scenario}, ${f.settings.strategy} within ${f.settings.preemptions})` });
  }
  if (r.engine.ofFloor !== undefined) {
    out.push({ goal: 'engine >= 90% of the bare hand-off', met: r.engine.ofFloor >= 0.9, figure: `${(100 * r.engine.ofFloor).toFixed(0)}%` });
  }
  return out;
}
