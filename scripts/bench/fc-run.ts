// Baseline (a): fast-check's fc.scheduler() driving the scenario's own thread code.
// Each scheduling point is `await s.schedule(...)`; fast-check picks which pending
// one goes next. An op that cannot run yet goes back to the scheduler until its
// waitsOn clears.
import type { Scheduler } from 'fast-check';
import { AsyncRun, NEVER, type Program, type RunOptions, type SimThread } from '../../src/engine/index.ts';

export class FcRun extends AsyncRun {
  private arrived: (() => void) | null = null;

  constructor(
    private readonly s: Scheduler,
    opts: RunOptions,
  ) {
    super(opts);
  }

  /** Settles when the thread let go last is back in the scheduler, or done, or the
   * run ends: only then is the next one let go, so one thread runs at a time. */
  arrival(): Promise<void> {
    return new Promise((r) => (this.arrived = r));
  }

  protected async pass(t: SimThread): Promise<void> {
    for (;;) {
      await this.s.schedule(Promise.resolve(), t.name);
      if (this.finished) return NEVER;
      if (this.isEnabled(t)) break;
      // fc.scheduler has no deadlock detection; without this the blocked threads
      // would be picked forever.
      if (!this.threads.some((u) => u.state !== 'done' && this.isEnabled(u))) {
        this.deadlock();
        this.finish();
        return NEVER;
      }
      this.signal();
    }
    if (!this.take(t)) return NEVER;
  }

  protected override decide(): void {
    super.decide();
    this.signal();
  }

  protected override finish(): void {
    super.finish();
    this.signal();
  }

  private signal(): void {
    const r = this.arrived;
    this.arrived = null;
    r?.();
  }
}

/** Runs one schedule of `program` on `s`, releasing one thread at a time. */
export async function runOnScheduler(s: Scheduler, program: Program, params: unknown, opts: RunOptions): Promise<FcRun> {
  const run = new FcRun(s, opts);
  program.setup(run, params);
  void run.start();
  while (!run.finished) {
    if (s.count() === 0) throw new Error(`${program.name}: threads left fc.scheduler (awaited something else)`);
    const back = run.arrival();
    await s.waitOne();
    await back;
  }
  return run;
}
