import type { Footprint, Op, ThreadState } from './types.ts';

/** Marks a thread that has not run yet; its first step runs its body up to its
 * first real scheduling point. */
export const START: Op = { kind: 'start', footprint: [] };

/** A simulated thread: an async function that runs only when the scheduler says. */
export class SimThread {
  state: ThreadState = 'ready';
  /** The operation it will perform when next scheduled. */
  pending: Op;
  /** Releases the thread from its current scheduling point. */
  resume: (() => void) | null = null;
  /** True once it has run at least one step. */
  started = false;
  /** Slot for upper layers (the kernel keeps its per-task state here). */
  local: unknown = undefined;
  /** In a traced run, the stack that made its pending scheduling point. */
  at: Error | null = null;
  /** Switching to it costs no preemption: a fault injector (faults.ts), whose one
   * step is a choice of the search, not a thread the bound should ration. The
   * preemption accounting looks through it to the last thread that is not free. */
  free = false;
  /** The thread whose step spawned it; null for the threads of the set-up. */
  parent: SimThread | null = null;
  private exitFps: { readonly read: Footprint; readonly write: Footprint } | null = null;

  constructor(
    readonly id: number,
    readonly name: string,
    /** CPU it runs on; threads on one CPU never run in parallel with a handler there. */
    readonly cpu: number,
    /** 0 for ordinary threads; a higher level interrupts lower ones on its CPU
     * (softirq over task, hardirq over softirq) and runs to completion first. */
    readonly level: number,
    start: Op,
  ) {
    this.pending = start;
  }

  /** A read of its exit (`@exit:NAME`, see exitKey() in run.ts), made once. */
  get exitRead(): Footprint {
    return (this.exitFps ??= exitFootprints(this.name)).read;
  }

  /** A write of its exit, made once. */
  get exitWrite(): Footprint {
    return (this.exitFps ??= exitFootprints(this.name)).write;
  }
}

function exitFootprints(name: string): { readonly read: Footprint; readonly write: Footprint } {
  const key = `@exit:${name}`;
  return { read: { key, access: 'read' }, write: { key, access: 'write' } };
}
