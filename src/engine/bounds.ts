// A scenario's own bounds, with what the user overrides: what the CLI's sweep and
// septcheck/vitest explore it under. `explore()` itself takes only the options it
// is given, so a caller that wants the scenario's bounds asks here.
import type { ExploreOptions } from './explore.ts';
import type { Scenario } from './scenario.ts';
import { DEFAULT_STRATEGY } from './strategies/index.ts';

/** What a sweep (flags, environment) or a test may override. */
export interface BoundsOverrides {
  readonly strategy?: string;
  readonly schedules?: number;
  readonly seed?: number | string;
  readonly preemptions?: number;
  readonly depth?: number;
  /** Go on past findings and report the first of each kind. */
  readonly keepGoing?: boolean;
}

/** Schedules explored when neither the scenario nor the user says. */
export const DEFAULT_SCHEDULES = 1000;

/** The options to explore `s` with: each override, else the scenario's bound, else
 * the default. A scenario with `bounds.fixed` keeps its own schedule budget. */
export function boundsOptions(s: Scenario, o: BoundsOverrides = {}): ExploreOptions & { readonly strategy: string; readonly schedules: number } {
  const b = s.bounds ?? {};
  const schedules = b.fixed === true && b.schedules !== undefined ? b.schedules : (o.schedules ?? b.schedules ?? DEFAULT_SCHEDULES);
  return {
    strategy: (o.strategy ?? b.strategy ?? DEFAULT_STRATEGY) as never,
    schedules,
    seed: o.seed ?? b.seed ?? 0,
    maxSteps: b.maxSteps,
    preemptions: o.preemptions ?? b.preemptions,
    depth: o.depth ?? b.depth,
    deepen: b.deepen,
    ...(o.keepGoing === true ? { stopOnFirst: false, firstOfEachKind: true } : {}),
  };
}
