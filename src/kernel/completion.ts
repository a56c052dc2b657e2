// struct completion (include/linux/completion.h, kernel/sched/completion.c): a count
// of done events that waiters consume; complete_all() makes it stay done. Mainline
// lockdep does not track completions (cross-release was removed in v4.15), so the
// checks are might_sleep()'s; a wait nobody completes is a `deadlock`.
import type { Footprint, Op } from '../engine/index.ts';
import type { Kernel } from './kernel.ts';
import { sleep_at } from './sleep.ts';
import { current } from './task.ts';

/** complete_all()'s "done forever". */
const UINT_MAX = 0xffffffff;
const FILE = 'kernel/sched/completion.c';

// struct completion in include/linux/completion.h
export class completion {
  done = 0;
  readonly fp: Footprint[];
  /** The points of each operation, made once. */
  readonly complete_op: Op;
  readonly complete_all_op: Op;
  readonly wait_op: Op;
  readonly try_op: Op;

  constructor(
    readonly k: Kernel,
    readonly name: string,
  ) {
    this.fp = [{ key: k.unique(`completion:${name}`), access: 'write' }];
    const at = (kind: string, waitsOn?: Op['waitsOn']): Op => ({ kind, obj: name, footprint: this.fp, ...(waitsOn ? { waitsOn } : {}) });
    this.complete_op = at('complete');
    this.complete_all_op = at('complete_all');
    this.wait_op = at('wait_for_completion', () => (this.done > 0 ? null : []));
    this.try_op = at('try_wait_for_completion');
  }

  /** Takes one done event, unless complete_all() made it permanent. */
  consume(): void {
    if (this.done !== UINT_MAX) this.done--;
  }
}

// init_completion() in include/linux/completion.h
export function init_completion(x: completion): void {
  x.done = 0;
}

// reinit_completion() in include/linux/completion.h
export function reinit_completion(x: completion): void {
  x.done = 0;
}

// DECLARE_COMPLETION() in include/linux/completion.h
export function DECLARE_COMPLETION(k: Kernel, name: string): completion {
  return new completion(k, name);
}

// complete() in kernel/sched/completion.c: wakes one waiter; callable from any context.
export async function complete(x: completion): Promise<void> {
  await current().k.run.point(x.complete_op);
  if (x.done !== UINT_MAX) x.done++;
}

// complete_all() in kernel/sched/completion.c: wakes every waiter, now and later.
export async function complete_all(x: completion): Promise<void> {
  await current().k.run.point(x.complete_all_op);
  x.done = UINT_MAX;
}

// wait_for_completion() in kernel/sched/completion.c
export async function wait_for_completion(x: completion): Promise<void> {
  await sleep_at(FILE, x.wait_op);
  x.consume();
}

// try_wait_for_completion() in kernel/sched/completion.c: never sleeps.
export async function try_wait_for_completion(x: completion): Promise<boolean> {
  await current().k.run.point(x.try_op);
  if (x.done === 0) return false;
  x.consume();
  return true;
}

// completion_done() in kernel/sched/completion.c: a racy peek, not a scheduling point.
export function completion_done(x: completion): boolean {
  return x.done > 0;
}
