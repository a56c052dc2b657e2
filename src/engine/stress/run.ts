import type { RunOptions } from '../run.ts';
import type { SimThread } from '../thread.ts';
import type { Op } from '../types.ts';
import { AsyncRun, NEVER } from './async_run.ts';

/** One macrotask turn: every other thread that is ready gets to run first. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Chance that a thread gives up the CPU at a point. A microtask yield would let no
 * other thread in (each resumes in its own macrotask), so a yield is a turn. */
const YIELD = 0.5;

/** Turns without a step, every unfinished thread parked, before it is a deadlock. */
const DEADLOCK_TURNS = 3;
/** Turns without a step before a thread is taken to wait on something outside. */
const STALL_TURNS = 10_000;

/**
 * Plain stress testing, as a baseline: no scheduler. Threads run concurrently on
 * the event loop; at each point the seeded RNG decides whether the thread yields a
 * turn, and kernel locks are real async-mutex locks (see kernel/lock_gate.ts). An op
 * that cannot run yet (its `waitsOn`, a masked CPU) spins a turn at a time.
 *
 * A deadlock is every unfinished thread parked (blocked on a lock or spinning)
 * while the event loop turns with no step: a watchdog macrotask sees it. Findings
 * carry the trace in the order the points ran, but the run is not a choice
 * sequence: nothing guarantees its schedule replays.
 */
export class StressRun extends AsyncRun {
  /** Threads blocked on a lock or spinning at a point. */
  private parked = 0;

  constructor(
    opts: RunOptions,
    private readonly rng: () => number,
  ) {
    super(opts);
  }

  override start(): Promise<void> {
    const done = super.start();
    if (!this.finished) this.watch();
    return done;
  }

  /** The threads in an order the RNG draws. */
  protected override order(): SimThread[] {
    const order = this.threads.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

  /** Each thread starts in a turn of its own, never inside another's step. */
  protected override admit(t: SimThread): void {
    setImmediate(() => this.launch(t));
  }

  protected async pass(t: SimThread): Promise<void> {
    if (this.finished) return NEVER;
    if (this.rng() < YIELD) await turn();
    return this.proceed(t);
  }

  /**
   * A point whose wait is a real lock: `wait()` takes it, returning null when it
   * got it at once, else a promise that settles once it holds it. The step is
   * recorded when the lock is held, so the trace shows acquisitions in the order
   * they happened; while blocked, `op` (with its `waitsOn`) is what a deadlock
   * report names.
   */
  async block(op: Op, wait: () => Promise<void> | null): Promise<void> {
    const t = this.arrive(op);
    if (t === null) return NEVER;
    if (this.rng() < YIELD) await turn();
    if (this.finished) return NEVER;
    const w = wait();
    if (w !== null) {
      this.parked++;
      await w;
      this.parked--;
      // Woken inside the unlocker's step: resume in a turn of its own.
      await turn();
    }
    return this.proceed(t);
  }

  /** Spins until `t` may run, then takes the step. */
  private async proceed(t: SimThread): Promise<void> {
    if (!this.finished && !this.isEnabled(t)) {
      this.parked++;
      do await turn();
      while (!this.finished && !this.isEnabled(t));
      this.parked--;
    }
    if (this.finished || !this.take(t)) return NEVER;
  }

  /** The watchdog: a macrotask each turn, counting turns without progress. */
  private watch(): void {
    let seen = -1;
    let idle = 0;
    const tick = (): void => {
      if (this.finished) return;
      const progress = this.step + this.threads.length - this.unfinished();
      idle = progress === seen ? idle + 1 : 0;
      seen = progress;
      if (idle >= DEADLOCK_TURNS && this.parked === this.unfinished()) {
        this.deadlock();
        return this.finish();
      }
      if (idle >= STALL_TURNS) {
        const t = this.threads.find((u) => u.state === 'running');
        this.report({
          kind: 'escaped-scheduler',
          message: `no step for ${STALL_TURNS} event-loop turns: thread ${t?.name ?? '?'} awaits something other than a point or a lock`,
        });
        return this.finish();
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  }
}
