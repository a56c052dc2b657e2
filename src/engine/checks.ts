// Switches a scenario sets for the checks of the layers above the engine (lockdep's
// prove_locking, the exit checks, ...). The engine knows no check by name: it only
// carries a scenario's switches to each of its runs, where the kernel reads them.
import type { Run } from './run.ts';

/** Check name -> on (true) or off (false); a check left out keeps its default. */
export type Checks = Readonly<Record<string, boolean>>;

const NONE: Checks = {};
/** The key of a run's switches (Run.local()). */
const CHECKS = {};

/** Gives `run` the scenario's switches (done before its setup runs). */
export function setChecks(run: Run, checks: Checks): void {
  run.setLocal(CHECKS, checks);
}

/** The switches of `run`'s scenario; none when it set none. */
export function checksOf(run: Run): Checks {
  return run.localOf<Checks>(CHECKS) ?? NONE;
}
