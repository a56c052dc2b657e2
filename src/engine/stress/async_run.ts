import { Run, type RunOptions } from '../run.ts';
import type { SimThread } from '../thread.ts';
import type { Op } from '../types.ts';

export const NEVER: Promise<never> = new Promise(() => {});

/** Runs of this kind choose nothing: the event loop (or another scheduler) does. */
const NO_CHOOSER = (): number => {
  throw new Error('an event-loop run has no chooser');
};

/**
 * A run whose threads are let past their points by something other than the
 * engine's chooser: the event loop itself (stress) or fast-check's scheduler (the
 * benchmark's baseline). The thread code, the kernel and the checks are the same;
 * each step is recorded in the order it actually ran, so the trace reads as usual.
 *
 * Rule every subclass keeps: a thread resumes only in its own macrotask (or when no
 * other thread can run), so `current` is right from one point to the next without
 * async context tracking.
 */
export abstract class AsyncRun extends Run {
  /** Set once start() ran: threads spawned from then on (call_rcu() callbacks) are
   * admitted as they come. */
  private started = false;

  constructor(opts: RunOptions) {
    // Steps here are not delimited by decide(), which notes what each one writes:
    // every invariant is checked after every step.
    super(NO_CHOOSER, { ...opts, exhaustiveChecks: true });
  }

  /** Lets `t` past its pending op; resolves once the step is `t`'s (never, if the
   * run ends first). */
  protected abstract pass(t: SimThread): Promise<void>;

  /** Lets `t` begin; by default at once (nothing runs before it is let past its
   * start op). */
  protected admit(t: SimThread): void {
    this.launch(t);
  }

  /** Starts `t`: its `start` op is a point like any other. */
  protected launch(t: SimThread): void {
    void this.pass(t).then(() => {
      const go = t.resume;
      t.resume = null;
      go?.();
    });
  }

  override start(): Promise<void> {
    this.goLive();
    this.started = true;
    for (const t of this.order()) this.admit(t);
    if (this.threads.length === 0) this.finish();
    return this.done;
  }

  /** The order the threads are admitted in at the start. */
  protected order(): SimThread[] {
    return this.threads;
  }

  override spawn(...args: Parameters<Run['spawn']>): SimThread {
    const t = super.spawn(...args);
    if (this.started) this.admit(t);
    return t;
  }

  override point(op: Op): Promise<void> {
    const t = this.arrive(op);
    return t === null ? NEVER : this.pass(t);
  }

  /** The current thread is at `op`: its previous step is over. Null when the run
   * has ended (or ends on this check). */
  protected arrive(op: Op): SimThread | null {
    const t = this.current;
    if (this.finished || t === null) return null;
    t.pending = op;
    t.state = 'ready';
    this.decide();
    return this.finished ? null : t;
  }

  /** A step's effect ended (at a point, an exit or a crash): check, and end the run
   * on a finding or once every thread is done. Choosing is someone else's job. */
  protected override decide(): void {
    if (this.finished) return;
    Run.probe?.between(this);
    if (this.finding === null) this.checkInvariants();
    if (this.finding !== null || this.threads.every((t) => t.state === 'done')) this.finish();
  }

  /** Awaiting the event loop is how these runs work, not an escape. */
  override escape(): void {}

  /** Records `t`'s pending op as the next step and makes `t` current; false when
   * the step bound ends the run instead. */
  protected take(t: SimThread): boolean {
    if (this.step >= this.maxSteps) {
      this.livelock();
      this.finish();
      return false;
    }
    const prev = this.step === 0 ? null : this.threads[this.choices[this.step - 1]!]!;
    // A switch (Run.switches, derived from the choices) when the thread changes.
    if (t !== prev && prev !== null && this.isEnabled(prev)) this.preemptions++;
    if (!t.started) this.enter(t);
    this.ops.push(t.pending);
    this.choices.push(t.id);
    this.step++;
    this.current = t;
    t.state = 'running';
    Run.probe?.step(this, t);
    return true;
  }

  /** Unfinished threads. */
  protected unfinished(): number {
    let n = 0;
    for (const t of this.threads) if (t.state !== 'done') n++;
    return n;
  }
}
