import type { Chooser, Run } from './run.ts';

/** What a strategy drives: it runs schedules until it is done or the budget is spent. */
export interface Driver {
  /** Runs one schedule to its end and records it. */
  runSchedule(chooser: Chooser, params?: unknown): Promise<Run>;
  /** False once the schedule budget is spent or a finding ended the exploration. */
  more(): boolean;
  /** Scenario parameters when the strategy draws none. */
  readonly params: unknown;
  readonly maxSteps: number;
  /** Figures a strategy adds to the run's stats (e.g. dpor's pruned count). */
  readonly extra: Record<string, number | string>;
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
  /** Step bound of one schedule. */
  readonly maxSteps: number;
}
