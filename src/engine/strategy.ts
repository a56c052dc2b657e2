import type { Arbitrary } from 'fast-check';
import type { Pinned } from './program.ts';
import type { Chooser, Run, RunOptions } from './run.ts';
import type { Finding } from './types.ts';

/** How one schedule is run. */
export interface RunScheduleOptions {
  /** False to leave the run's finding uncollected (fast-check's own shrink probes);
   * the strategy may then `report` a finding itself. Default true. */
  readonly record?: boolean;
  /** Makes the run instead of the scheduler's own `Run` (the stress backend); its
   * chooser is then unused. */
  readonly backend?: (opts: RunOptions) => Run;
  /** Record what each step touched (`Run.footprints`). */
  readonly footprints?: boolean;
  /** A traced run (RunOptions.trace), for a reader of its trace. */
  readonly trace?: boolean;
  /** See RunOptions.before. */
  readonly before?: RunOptions['before'];
}

/** What a strategy drives: it runs schedules until it is done or the budget is spent. */
export interface Driver {
  /** Runs one schedule to its end and records it. */
  runSchedule(chooser: Chooser, params?: unknown, opts?: RunScheduleOptions): Promise<Run>;
  /** False once the schedule budget is spent or a finding ended the exploration. */
  more(): boolean;
  /** Collects a finding the strategy built itself (e.g. with fast-check's seed and path). */
  report(finding: Finding): void;
  /** Scenario parameters when the strategy draws none. */
  readonly params: unknown;
  /** Parameters to draw, when the program has an arbitrary and the caller fixed none. */
  readonly paramsArbitrary?: Arbitrary<unknown>;
  /** Schedule budget of the whole exploration. */
  readonly budget: number;
  readonly maxSteps: number;
  /** Figures a strategy adds to the run's stats (e.g. dpor's pruned count). */
  readonly extra: Record<string, number | string>;
  /** The program declares every piece of its shared state tracked (recorded per
   * access), so partial-order reduction may rely on recorded footprints. */
  readonly tracked: boolean;
  /** Whether the exploration keeps going past findings (every finding kind wanted). */
  readonly keepGoing: boolean;
  /** The strategy explored every schedule within `bound` preemptions (undefined: every
   * schedule at all): the verdict is then a proof. */
  exhausted(bound?: number): void;
}

/** An exploration strategy. Each lives in its own file under strategies/. */
export interface Strategy {
  readonly name: string;
  explore(d: Driver): Promise<void>;
}

export interface StrategyOptions {
  readonly seed: number | string;
  /** Preemption bound, for strategies that honour one. */
  readonly preemptions?: number;
  /** PCT depth. */
  readonly depth?: number;
  /** dfs and dpor: explore bound 0, then 1, ... up to `preemptions` (see deepen.ts). */
  readonly deepen?: boolean;
  /** Called when a choice was cut by the preemption bound (for deepen.ts). */
  readonly onBoundCut?: () => void;
  /** Step bound of one schedule. */
  readonly maxSteps: number;
  /** fast-check's replay path (with `seed`), to rerun a recorded counterexample. */
  readonly path?: string;
  /** The schedule the `replay` strategy follows. */
  readonly pinned?: Pinned;
  /** dfs and dpor: thread ids fixed at the first choice points; only the subtree
   * below them is explored (a work item of a split exploration, see split.ts). */
  readonly prefix?: readonly number[];
}

/** A driver that passes everything to `d` except what `over` replaces: how a
 * strategy runs others inside it (the portfolio's members, deepen's levels). */
export function driverOver(d: Driver, over: Partial<Driver>): Driver {
  return {
    runSchedule: (c, p, o) => d.runSchedule(c, p, o),
    more: () => d.more(),
    report: (f) => d.report(f),
    params: d.params,
    paramsArbitrary: d.paramsArbitrary,
    budget: d.budget,
    maxSteps: d.maxSteps,
    extra: d.extra,
    tracked: d.tracked,
    keepGoing: d.keepGoing,
    exhausted: (b) => d.exhausted(b),
    ...over,
  };
}
