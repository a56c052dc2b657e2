import type { Arbitrary } from 'fast-check';
import type { Run } from './run.ts';
import type { Bounds } from './scenario.ts';
import type { Schedule } from './types.ts';

/** A schedule a program is pinned to (a regression): its prelude runs first. */
export interface Pinned {
  readonly schedule: Schedule;
  readonly prelude?: readonly Schedule[];
  /** The finding kind the schedule reproduces. */
  readonly kind?: string;
  /** When the schedule no longer reproduces `kind` (it no longer fits the code, or
   * runs clean: a fix), the program is explored under these bounds to confirm the
   * fix, instead of the pin failing as `replay-diverged`. */
  readonly confirm?: Bounds;
}

/** What the engine explores: a function that sets up one schedule's threads. */
export interface Program<P = unknown> {
  readonly name: string;
  /** Spawns the threads and registers the invariants of one schedule. */
  setup(run: Run, params: P): void;
  /** Parameters used when a strategy does not draw its own. */
  readonly params?: P;
  /** Parameters as an arbitrary: the fastcheck strategy draws and shrinks them
   * together with the schedule; other shrinkers use its shrink tree too. */
  readonly paramsArbitrary?: Arbitrary<P>;
  /** When set, the `replay` strategy runs exactly this schedule. */
  readonly pinned?: Pinned;
  /** Every piece of shared state the threads and checks use is recorded per access
   * (tracked cells, kernel primitives, a tracked model): dpor may then reduce.
   * Left unset, dpor explores every schedule, as dfs does, and says so. */
  readonly tracked?: boolean;
  /** Hash of the state at the end of a schedule, for coverage. */
  stateHash?(run: Run): string;
}
