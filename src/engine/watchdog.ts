import type { Run } from './run.ts';
import type { SimThread } from './thread.ts';

/**
 * Catches threads that await something other than the scheduler. A whole schedule
 * runs in microtasks, so the event loop only reaches a macrotask while a run is
 * live if its thread is waiting on a timer, I/O or an outside promise. One pending
 * setImmediate covers any number of schedules: arming is a flag test.
 */
export class Watchdog {
  private pending = false;
  active: Run | null = null;

  arm(run: Run): void {
    this.active = run;
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      const r = this.active;
      if (r !== null && !r.finished) r.escape();
    });
  }
}

/**
 * What a watchdog outside the engine is told of a run's progress. A thread that never
 * reaches its next point (a synchronous loop, or one of microtasks) starves the event
 * loop, so nothing in this thread can notice it: the sweep's worker publishes these
 * calls where the parent thread can read them, and terminates the worker.
 */
export interface StepProbe {
  /** A step ended: the invariants and the chooser run next. */
  between(run: Run): void;
  /** `t` was chosen: its step's effect, after its point `t.pending`, runs now. */
  step(run: Run, t: SimThread): void;
}
