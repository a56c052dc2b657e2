import type { Scenario } from './scenario.ts';
import type { Schedule } from './types.ts';

/** A finding pinned at its minimal schedule, as `septcheck regress add` writes it. */
export interface RegressionPin {
  readonly name: string;
  /** The finding kind the schedule must reproduce. */
  readonly kind: string;
  /** The finding's message when it was pinned, for the reader. */
  readonly reproduces?: string;
  /** The scenario file it was pinned from, and that file's content hash then. */
  readonly from?: { readonly path: string; readonly hash: string };
  readonly params?: unknown;
  readonly maxSteps?: number;
  readonly schedule: Schedule;
  readonly prelude?: readonly Schedule[];
}

/** A regression scenario: the base scenario's threads, run on exactly the pinned
 * schedule, expected to reproduce the pinned finding. Once the code it imports is
 * fixed, so that the schedule no longer reproduces it, the base scenario's
 * exploration under its own bounds must confirm the fix (see explore()). */
export function defineRegression<P>(base: Scenario<P>, pin: RegressionPin): Scenario<P> {
  return {
    name: pin.name,
    description: `regression: ${pin.kind} in ${base.name}, pinned at ${pin.schedule.steps} steps`,
    variant: base.variant,
    expect: pin.kind,
    bounds: { strategy: 'replay', schedules: 1 + (pin.prelude?.length ?? 0), ...(pin.maxSteps === undefined ? {} : { maxSteps: pin.maxSteps }) },
    params: (pin.params ?? base.params) as P,
    pinned: { schedule: pin.schedule, prelude: pin.prelude, kind: pin.kind, confirm: { ...base.bounds, ...(pin.maxSteps === undefined ? {} : { maxSteps: pin.maxSteps }) } },
    setup: base.setup,
    stateHash: base.stateHash,
    validate: base.validate,
  };
}
