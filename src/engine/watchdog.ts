import type { Run } from './run.ts';

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
